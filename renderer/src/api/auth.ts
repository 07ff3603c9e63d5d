import { createContext, useContext } from 'react';

/**
 * Web mode access: whether this window talks over IPC (desktop, no token) or HTTP with a token,
 * and how to sign out. Any API answer UNAUTHORIZED is reported through `reportUnauthorized`, and
 * the root shows the sign-in screen instead of a page full of errors.
 */
export interface Access {
  mode: 'desktop' | 'web';
  token: string | null;
  signOut: () => void;
}

export const AccessContext = createContext<Access>({ mode: 'desktop', token: null, signOut: () => undefined });

export function useAccess(): Access {
  return useContext(AccessContext);
}

const listeners = new Set<() => void>();

export function onUnauthorized(cb: () => void): () => void {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

export function reportUnauthorized(): void {
  for (const l of listeners) l();
}
