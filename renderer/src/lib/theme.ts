import { useCallback, useSyncExternalStore } from 'react';

export type Theme = 'light' | 'dark';
const KEY = 'scaledeck.theme';
const media = () => window.matchMedia('(prefers-color-scheme: dark)');

function stored(): Theme | null {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : null;
  } catch {
    return null;
  }
}

/** The theme on screen: the stored choice, else the system preference. */
function effective(): Theme {
  return stored() ?? (media().matches ? 'dark' : 'light');
}

/** Applies a stored choice as <html data-theme>; without one the CSS follows prefers-color-scheme. */
export function applyStoredTheme(): void {
  const s = stored();
  if (s) document.documentElement.dataset.theme = s;
  else delete document.documentElement.dataset.theme;
}

const listeners = new Set<() => void>();
function subscribe(cb: () => void) {
  listeners.add(cb);
  const m = media();
  m.addEventListener('change', cb);
  return () => {
    listeners.delete(cb);
    m.removeEventListener('change', cb);
  };
}

export function useTheme(): { theme: Theme; explicit: boolean; set: (next: Theme | null) => void; toggle: () => void; reset: () => void } {
  const theme = useSyncExternalStore(subscribe, effective, () => 'light' as Theme);
  const explicit = useSyncExternalStore(subscribe, () => stored() !== null, () => false);
  const set = useCallback((next: Theme | null) => {
    try {
      if (next) localStorage.setItem(KEY, next);
      else localStorage.removeItem(KEY);
    } catch {
      /* storage disabled: the toggle still works for this page */
    }
    applyStoredTheme();
    if (!next) delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = next;
    for (const l of listeners) l();
  }, []);
  return {
    theme,
    explicit,
    set,
    toggle: () => set(effective() === 'dark' ? 'light' : 'dark'),
    reset: () => set(null),
  };
}
