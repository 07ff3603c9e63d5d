import type { Color } from './model.ts';

/** "blue" or "green", as the API nodes' colour (api-N is blue, api-N-green is green). */
export function ColorTag({ color, count }: { color: Color; count?: number }) {
  return (
    <span className={`color-tag color-${color}`} data-color={color}>
      <span className="color-dot" aria-hidden="true" />
      {count !== undefined ? `${count} ${color}` : color}
    </span>
  );
}
