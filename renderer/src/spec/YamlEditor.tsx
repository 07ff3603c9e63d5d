import { forwardRef, useImperativeHandle, useMemo, useRef } from 'react';

export interface YamlEditorHandle {
  /** Put the caret at the start of a 1-based line and scroll it into view. */
  goToLine(line: number): void;
}

/**
 * A plain textarea with a line-number gutter. Lines with a problem are marked in the gutter (the
 * message is its tooltip); the list under the editor names them too, for keyboards and readers.
 */
export const YamlEditor = forwardRef<YamlEditorHandle, {
  id: string;
  value: string;
  onChange: (text: string) => void;
  problems: Map<number, string[]>;
  describedBy?: string;
}>(function YamlEditor({ id, value, onChange, problems, describedBy }, ref) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const count = useMemo(() => value.split('\n').length, [value]);

  useImperativeHandle(ref, () => ({
    goToLine(line: number) {
      const el = area.current;
      if (!el) return;
      const lines = el.value.split('\n');
      let offset = 0;
      for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i]!.length + 1;
      el.focus();
      el.setSelectionRange(offset, offset + (lines[line - 1]?.length ?? 0));
      const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || 19;
      el.scrollTop = Math.max(0, (line - 3) * lineHeight);
    },
  }));

  return (
    <div className="yaml-editor">
      <div className="yaml-gutter" ref={gutter} aria-hidden="true">
        {Array.from({ length: count }, (_, i) => {
          const n = i + 1;
          const p = problems.get(n);
          return (
            <div key={n} className={p ? 'gutter-line has-problem' : 'gutter-line'} title={p?.join('\n')} data-line={n}>
              {n}
            </div>
          );
        })}
        <div className="gutter-pad" />
      </div>
      <textarea
        id={id}
        ref={area}
        className="yaml-text mono"
        data-testid="spec-yaml"
        value={value}
        wrap="off"
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        aria-describedby={describedBy}
        aria-invalid={problems.size > 0}
        onChange={(e) => onChange(e.target.value)}
        onScroll={(e) => {
          if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
        }}
      />
    </div>
  );
});
