import { useEffect, useRef } from 'react';
import { SHORTCUTS } from '../lib/shortcuts.ts';

export function ShortcutList() {
  return (
    <table className="table shortcut-table" data-testid="shortcut-list">
      <thead>
        <tr>
          <th scope="col">Keys</th>
          <th scope="col">Does</th>
          <th scope="col">Where</th>
        </tr>
      </thead>
      <tbody>
        {SHORTCUTS.map((s) => (
          <tr key={s.keys.join(' ')}>
            <td className="keys">
              {s.keys.map((k, i) => (
                <span key={i}>
                  {i > 0 && <span className="muted small"> then </span>}
                  <kbd>{k}</kbd>
                </span>
              ))}
            </td>
            <td>{s.what}</td>
            <td className="muted">{s.where}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The "?" dialog: a native modal <dialog> (focus kept inside, Esc closes). */
export function ShortcutsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="shortcuts-title"
      data-testid="shortcuts-dialog"
      onClose={onClose}
      onClick={(e) => {
        if (e.target === e.currentTarget) onClose(); // a click on the backdrop
      }}
    >
      {open && (
      <div className="dialog-body">
        <header className="card-head">
          <h2 className="card-title" id="shortcuts-title">
            Keyboard shortcuts
          </h2>
          <button type="button" className="btn btn-sm btn-ghost" onClick={onClose} aria-label="Close">
            Esc
          </button>
        </header>
        <ShortcutList />
        <p className="muted small dialog-foot">Shortcuts do nothing while you type in a field.</p>
      </div>
      )}
    </dialog>
  );
}
