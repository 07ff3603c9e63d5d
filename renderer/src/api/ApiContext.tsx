import { createContext, useContext, type ReactNode } from 'react';
import type { ApiClient } from '../../../shared/api/index.ts';

const ApiContext = createContext<ApiClient | null>(null);

/** Provides the typed API client (IPC in Electron, HTTP + SSE in web mode) to every hook. */
export function ApiProvider({ api, children }: { api: ApiClient; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi() must be used inside <ApiProvider>');
  return api;
}
