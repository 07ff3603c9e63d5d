import { useCallback, useLayoutEffect, useRef, useState } from 'react';

/**
 * A time-series line chart drawn on a canvas. The Metrics tab redraws every chart once a second
 * with up to 20 nodes × 300 points per chart; measured in Chromium (npm run bench -- render),
 * recharts needs ~110 ms for that volume before any app code, against a 16 ms frame. A canvas
 * draws it in a few ms: points are decimated to the chart's pixel columns (min/max per column, so
 * spikes survive), axes and grid are a handful of strokes, and hover values come from a binary
 * search, shown in an HTML tooltip so nothing is redrawn while the pointer moves.
 */
export interface TimeSeries {
  key: string;
  label: string;
  /** A CSS colour or a `var(--name)` of the theme (resolved at draw time, so theme switches apply). */
  color: string;
  dashed?: boolean;
  t: ArrayLike<number>;
  v: ArrayLike<number>;
}

export interface TimeChartProps {
  series: TimeSeries[];
  from: number;
  to: number;
  /** Bumped when the data changes in place (the arrays are mutated by the live store). */
  version: number;
  formatY: (v: number) => string;
  formatValue: (v: number | null) => string;
  formatTime: (t: number) => string;
  area?: boolean;
  reference?: { value: number; label: string };
  yMax?: number;
  /** Accessible summary (the chart itself is a picture). */
  label: string;
}

const PAD = { top: 6, right: 10, bottom: 18, left: 48 };

/** 0 … a round number above max, in 3–5 steps. */
export function niceScale(max: number, minTop = 0): { top: number; step: number } {
  const m = Math.max(max, minTop, 1e-9);
  const raw = m / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  return { top: Math.ceil(m / step) * step, step };
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000);

/** Tick times on round seconds/minutes, about one per `pxPer` pixels. */
export function timeTicks(from: number, to: number, width: number, pxPer = 110): number[] {
  const want = Math.max(1, Math.floor(width / pxPer));
  const step = TIME_STEPS.find((s) => (to - from) / s <= want) ?? TIME_STEPS[TIME_STEPS.length - 1]!;
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}

/** Index of the last point with t <= x (−1 when none). */
export function lastAtOrBefore(t: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = t.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid]! <= x) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

function resolveColor(el: Element, c: string): string {
  const m = /^var\((--[\w-]+)\)$/.exec(c);
  return m ? getComputedStyle(el).getPropertyValue(m[1]!).trim() || '#888' : c;
}

/** The canvas' CSS size, kept from the ResizeObserver so drawing never forces a layout. */
const sizes = new WeakMap<HTMLCanvasElement, { w: number; h: number }>();

function draw(canvas: HTMLCanvasElement, p: TimeChartProps): void {
  let size = sizes.get(canvas);
  if (!size) {
    const r = canvas.getBoundingClientRect();
    sizes.set(canvas, (size = { w: r.width, h: r.height }));
  }
  const dpr = window.devicePixelRatio || 1;
  const W = Math.max(1, Math.round(size.w));
  const H = Math.max(1, Math.round(size.h));
  if (canvas.width !== W * dpr || canvas.height !== H * dpr) {
    canvas.width = W * dpr;
    canvas.height = H * dpr;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  const css = getComputedStyle(canvas);
  const faint = css.getPropertyValue('--text-faint').trim() || '#999';
  const border = css.getPropertyValue('--border').trim() || '#ddd';
  const bad = css.getPropertyValue('--bad').trim() || '#c00';
  const muted = css.getPropertyValue('--text-muted').trim() || '#666';
  const font = `11px ${css.fontFamily || 'sans-serif'}`;

  const x0 = PAD.left;
  const x1 = W - PAD.right;
  const y0 = PAD.top;
  const y1 = H - PAD.bottom;
  const span = Math.max(1, p.to - p.from);
  const X = (t: number) => x0 + ((t - p.from) / span) * (x1 - x0);

  // Y range from what is on screen.
  let max = 0;
  for (const s of p.series) {
    const start = Math.max(0, lastAtOrBefore(s.t, p.from));
    for (let i = start; i < s.t.length; i++) if (s.v[i]! > max) max = s.v[i]!;
  }
  if (p.reference) max = Math.max(max, p.reference.value);
  // An all-zero chart still gets a readable 0…4 axis.
  const { top, step } = p.yMax !== undefined ? { top: p.yMax, step: p.yMax / 4 } : niceScale(max > 0 ? max : 4);
  const Y = (v: number) => y1 - (Math.min(v, top) / top) * (y1 - y0);

  // Grid and axes.
  ctx.font = font;
  ctx.lineWidth = 1;
  ctx.strokeStyle = border;
  ctx.fillStyle = faint;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  ctx.setLineDash([3, 3]);
  for (let v = 0; v <= top + step / 1000; v += step) {
    const y = Math.round(Y(v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x0, y);
    ctx.lineTo(x1, y);
    ctx.stroke();
    ctx.fillText(p.formatY(v), x0 - 6, y);
  }
  ctx.setLineDash([]);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of timeTicks(p.from, p.to, x1 - x0)) ctx.fillText(p.formatTime(t), Math.min(x1 - 24, Math.max(x0 + 24, X(t))), y1 + 4);

  // Series: per pixel column keep first, min, max and last, so a 1-second spike stays visible.
  ctx.save();
  ctx.beginPath();
  ctx.rect(x0, y0 - 2, x1 - x0, y1 - y0 + 4);
  ctx.clip();
  for (const s of p.series) {
    const color = resolveColor(canvas, s.color);
    const start = Math.max(0, lastAtOrBefore(s.t, p.from));
    if (start >= s.t.length) continue;
    const path = new Path2D();
    let col = -1;
    let lo = 0;
    let hi = 0;
    let inCol = 0;
    let first = true;
    let firstX = 0;
    let lastX = 0;
    let lastY = 0;
    // A column with several points draws its range as one vertical stroke.
    const flush = () => {
      if (inCol < 2) return;
      path.lineTo(col + 0.5, lo);
      path.lineTo(col + 0.5, hi);
    };
    for (let i = start; i < s.t.length; i++) {
      const x = X(s.t[i]!);
      const y = Y(s.v[i]!);
      const c = Math.floor(x);
      if (first) {
        path.moveTo(x, y);
        firstX = x;
        first = false;
        col = c;
        lo = hi = y;
        inCol = 1;
      } else if (c !== col) {
        flush();
        path.lineTo(x, y);
        col = c;
        lo = hi = y;
        inCol = 1;
      } else {
        if (y < lo) lo = y;
        if (y > hi) hi = y;
        inCol++;
      }
      lastX = x;
      lastY = y;
    }
    flush();
    if (inCol >= 2) path.lineTo(lastX, lastY);
    if (p.area) {
      const fill = new Path2D(path);
      fill.lineTo(lastX, y1);
      fill.lineTo(firstX, y1);
      fill.closePath();
      ctx.globalAlpha = 0.15;
      ctx.fillStyle = color;
      ctx.fill(fill);
      ctx.globalAlpha = 1;
    }
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.6;
    ctx.lineJoin = 'round';
    ctx.setLineDash(s.dashed ? [5, 4] : []);
    ctx.stroke(path);
  }
  ctx.restore();
  ctx.setLineDash([]);

  if (p.reference) {
    const y = Math.round(Y(p.reference.value)) + 0.5;
    ctx.strokeStyle = bad;
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(x0, y);
    ctx.lineTo(x1, y);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText(p.reference.label, x1 - 2, y - 2);
  }
}

interface Hover {
  x: number;
  t: number;
  rows: { label: string; color: string; value: string }[];
}

export function TimeChart(p: TimeChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const props = useRef(p);
  props.current = p;
  const [hover, setHover] = useState<Hover | null>(null);

  // Drawn during the commit, so an update is on screen in the same frame.
  useLayoutEffect(() => {
    if (canvas.current) draw(canvas.current, p);
  });
  useLayoutEffect(() => {
    const el = canvas.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver((entries) => {
      const box = entries[entries.length - 1]!.contentRect;
      sizes.set(el, { w: box.width, h: box.height });
      draw(el, props.current);
    });
    ro.observe(el);
    // A theme switch changes the CSS variables the chart is drawn with.
    const mo = new MutationObserver(() => draw(el, props.current));
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme', 'class'] });
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)');
    const onScheme = () => draw(el, props.current);
    mq?.addEventListener?.('change', onScheme);
    return () => {
      ro.disconnect();
      mo.disconnect();
      mq?.removeEventListener?.('change', onScheme);
    };
  }, []);

  const onMove = useCallback((e: React.PointerEvent<HTMLCanvasElement>) => {
    const cur = props.current;
    const r = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - r.left;
    if (x < PAD.left || x > r.width - PAD.right) return setHover(null);
    const t = cur.from + ((x - PAD.left) / (r.width - PAD.left - PAD.right)) * (cur.to - cur.from);
    const rows = cur.series.map((s) => {
      const i = lastAtOrBefore(s.t, t + 500);
      return { label: s.label, color: s.color, value: cur.formatValue(i >= 0 && t - s.t[i]! < 3000 ? s.v[i]! : null) };
    });
    setHover({ x, t, rows });
  }, []);

  return (
    <div className="time-chart">
      <canvas ref={canvas} className="time-canvas" role="img" aria-label={p.label} onPointerMove={onMove} onPointerLeave={() => setHover(null)} />
      {hover && (
        <>
          <div className="time-cursor" style={{ left: hover.x }} />
          <div className={`time-tooltip${hover.x > 260 ? ' left' : ''}`} style={{ left: hover.x }} role="tooltip">
            <div className="muted">{p.formatTime(hover.t)}</div>
            {hover.rows.map((r) => (
              <div key={r.label} className="time-tooltip-row">
                <span className="legend-swatch" style={{ background: r.color }} />
                <span>{r.label}</span>
                <span className="mono">{r.value}</span>
              </div>
            ))}
          </div>
        </>
      )}
    </div>
  );
}
