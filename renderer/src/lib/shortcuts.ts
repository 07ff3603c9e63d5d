import { useEffect, useRef } from 'react';

/**
 * Keyboard shortcuts: one window listener, handlers registered by whoever is on screen.
 * Keys are single characters ("c", "?", "/") or a "g" sequence ("g c"). Nothing fires while the
 * user types in a field, holds Ctrl/Alt/Meta, or has a modal dialog open.
 * The list the user sees (the "?" dialog and Settings) is SHORTCUTS: add a line there with a handler.
 */
export interface ShortcutInfo {
  keys: string[];
  what: string;
  where: string;
}

export const SHORTCUTS: ShortcutInfo[] = [
  { keys: ['c'], what: 'Create a cluster: jump to the create form', where: 'Clusters' },
  { keys: ['g', 'c'], what: 'Go to clusters', where: 'Anywhere' },
  { keys: ['g', 's'], what: 'Go to settings', where: 'Anywhere' },
  { keys: ['g', 'n'], what: 'New cluster in the spec editor', where: 'Anywhere' },
  { keys: ['g', 'l'], what: 'Go to load tests', where: 'Anywhere' },
  { keys: ['g', 'h'], what: 'Go to hosts', where: 'Anywhere' },
  { keys: ['g', 'u'], what: 'Go to upgrades', where: 'Anywhere' },
  { keys: ['/'], what: 'Focus the log search', where: 'Logs tab' },
  { keys: ['t'], what: 'Toggle light / dark theme', where: 'Anywhere' },
  { keys: ['?'], what: 'Show this list', where: 'Anywhere' },
];

type Handler = () => void;
const handlers = new Map<string, Handler[]>();
const SEQUENCE_MS = 1500;

export function isTyping(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT' || (el as HTMLElement).isContentEditable) return true;
  if (tag !== 'INPUT') return false;
  const type = (el as HTMLInputElement).type;
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color'].includes(type);
}

/** Install the one window listener (App does this once). */
export function installShortcuts(): () => void {
  let prefix: { key: string; at: number } | null = null;
  const onKey = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    if (isTyping(document.activeElement)) return;
    if (document.querySelector('dialog[open]')) return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (key.length !== 1 && key !== '?') return;
    let combo = key;
    if (prefix && Date.now() - prefix.at < SEQUENCE_MS) {
      combo = `${prefix.key} ${key}`;
      prefix = null;
    } else if (key === 'g') {
      prefix = { key, at: Date.now() };
      return;
    } else {
      prefix = null;
    }
    const list = handlers.get(combo);
    const handler = list?.[list.length - 1];
    if (!handler) return;
    e.preventDefault();
    handler();
  };
  window.addEventListener('keydown', onKey);
  return () => window.removeEventListener('keydown', onKey);
}

/** Register a handler for as long as the component is mounted; the latest registration wins. */
export function useShortcut(combo: string, handler: Handler, enabled = true): void {
  const ref = useRef(handler);
  useEffect(() => {
    ref.current = handler;
  });
  useEffect(() => {
    if (!enabled) return;
    const h: Handler = () => ref.current();
    const list = handlers.get(combo) ?? [];
    list.push(h);
    handlers.set(combo, list);
    return () => {
      const l = handlers.get(combo) ?? [];
      const i = l.indexOf(h);
      if (i >= 0) l.splice(i, 1);
    };
  }, [combo, enabled]);
}
