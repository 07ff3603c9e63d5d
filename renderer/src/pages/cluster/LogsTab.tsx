import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Dot, ErrorNotice, Skeleton } from '../../components/ui.tsx';
import { useCluster } from '../../data/clusters/queries.ts';
import { DEFAULT_MAX_LINES, useLogStream, type LogRow } from '../../data/logs/stream.ts';
import { containerStateTone, sortContainers } from '../../lib/health.ts';
import { useShortcut } from '../../lib/shortcuts.ts';

/** Fixed row height: the list renders only the rows in view (plus a margin), whatever the buffer holds. */
const ROW_H = 20;
const OVERSCAN = 20;

function formatTs(ts: string): string {
  if (!ts) return '';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function highlight(text: string, needle: string): ReactNode {
  if (!needle) return text;
  const lower = text.toLowerCase();
  const out: ReactNode[] = [];
  let i = 0;
  for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + needle.length)) {
    if (at > i) out.push(text.slice(i, at));
    out.push(<mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    i = at + needle.length;
  }
  if (i < text.length) out.push(text.slice(i));
  return out;
}

function LogView({ rows, query, timestamps, follow, onFollowChange, empty }: { rows: LogRow[]; query: string; timestamps: boolean; follow: boolean; onFollowChange: (f: boolean) => void; empty: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(480);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Following: stay pinned to the newest line as rows arrive.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el || !follow) return;
    el.scrollTop = el.scrollHeight;
    setScrollTop(el.scrollTop);
  }, [rows, follow, height]);

  const total = rows.length;
  const first = Math.max(0, Math.floor(scrollTop / ROW_H) - OVERSCAN);
  const last = Math.min(total, Math.ceil((scrollTop + height) / ROW_H) + OVERSCAN);
  const visible = rows.slice(first, last);

  return (
    <div
      ref={box}
      className="log-view"
      data-testid="log-view"
      role="log"
      aria-label="Log lines"
      aria-live="off"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        setScrollTop(el.scrollTop);
        const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW_H * 1.5;
        if (atBottom !== follow) onFollowChange(atBottom);
      }}
    >
      {total === 0 ? (
        <div className="log-empty muted">{empty}</div>
      ) : (
        <div className="log-space" style={{ height: total * ROW_H }}>
          <div className="log-rows" style={{ transform: `translateY(${first * ROW_H}px)` }}>
            {visible.map((r) => (
              <div key={r.seq} className={`log-row${r.stream === 'stderr' ? ' stderr' : ''}`} data-testid="log-row" data-stream={r.stream}>
                {timestamps && (
                  <span className="log-ts" title={r.ts}>
                    {formatTs(r.ts)}
                  </span>
                )}
                <span className="log-text">{highlight(r.text, query)}</span>
              </div>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}

/** Logs: follow one container, search, pause, stderr tinted, pinned to the bottom until you scroll up. */
export default function LogsTab({ name }: { name: string }) {
  const cluster = useCluster(name);
  const containers = useMemo(() => sortContainers(cluster.data?.containers ?? []), [cluster.data?.containers]);
  const [picked, setPicked] = useState<string | null>(null);
  const service = picked ?? containers.find((c) => c.service === 'api-1')?.service ?? containers[0]?.service ?? null;
  const container = containers.find((c) => c.service === service);

  const [paused, setPaused] = useState(false);
  const [query, setQuery] = useState('');
  const [timestamps, setTimestamps] = useState(true);
  const [follow, setFollow] = useState(true);
  const stream = useLogStream(name, service, { paused });
  const search = useRef<HTMLInputElement>(null);
  const ids = useId();

  useShortcut('/', () => {
    search.current?.focus();
    search.current?.select();
  });

  // A new container: start pinned to the bottom, not paused.
  useEffect(() => {
    setFollow(true);
    setPaused(false);
  }, [service]);

  const needle = query.trim().toLowerCase();
  const shown = useMemo(() => (needle ? stream.rows.filter((r) => r.text.toLowerCase().includes(needle)) : stream.rows), [stream.rows, needle]);
  const stderrCount = useMemo(() => stream.rows.reduce((n, r) => n + (r.stream === 'stderr' ? 1 : 0), 0), [stream.rows]);

  const statusText: Record<typeof stream.status, string> = {
    idle: 'No container selected',
    connecting: 'Connecting…',
    live: paused ? 'Paused' : 'Following',
    ended: 'Stream ended (the container stopped)',
    error: 'Not following',
  };

  if (cluster.isError) return null; // the page shows why
  if (!cluster.data) {
    return (
      <div className="tab-body">
        <Skeleton width="100%" height={48} />
        <Skeleton width="100%" height={520} />
      </div>
    );
  }

  return (
    <div className="tab-body logs">
      <div className="log-toolbar card">
        <div className="field log-field">
          <label className="field-label" htmlFor={`${ids}-svc`}>
            Container
          </label>
          <div className="log-svc">
            {container && <Dot tone={containerStateTone(container.state)} />}
            <select id={`${ids}-svc`} className="input mono" data-testid="log-service" value={service ?? ''} onChange={(e) => setPicked(e.target.value)} disabled={containers.length === 0}>
              {containers.length === 0 && <option value="">no containers</option>}
              {containers.map((c) => (
                <option key={c.service} value={c.service}>
                  {c.service} ({c.state})
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="field log-field log-search">
          <label className="field-label" htmlFor={`${ids}-q`}>
            Search <kbd>/</kbd>
          </label>
          <input
            id={`${ids}-q`}
            ref={search}
            className="input mono"
            data-testid="log-search"
            type="search"
            placeholder='filter lines, e.g. "status":500'
            value={query}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                setQuery('');
                e.currentTarget.blur();
              }
            }}
          />
        </div>
        <div className="log-actions">
          <button type="button" className={`btn${paused ? ' btn-primary' : ''}`} data-testid="log-pause" aria-pressed={paused} onClick={() => setPaused((p) => !p)} disabled={stream.status !== 'live'}>
            {paused ? '▶ Resume' : '❚❚ Pause'}
          </button>
          <label className="check log-check">
            <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} data-testid="log-timestamps" />
            <span>Timestamps</span>
          </label>
          <button type="button" className="btn btn-ghost" onClick={stream.clear} disabled={stream.rows.length === 0}>
            Clear
          </button>
        </div>
      </div>

      <div className="log-status" role="status" aria-live="polite" data-testid="log-status" data-status={stream.status}>
        <span className="log-state">
          <Dot tone={stream.status === 'live' ? (paused ? 'warn' : 'ok') : stream.status === 'connecting' ? 'info' : stream.status === 'idle' ? 'idle' : 'bad'} pulse={stream.status === 'live' && !paused} />
          {statusText[stream.status]}
        </span>
        <span className="muted">
          {needle ? (
            <>
              <strong data-testid="log-match-count">{shown.length}</strong> of {stream.rows.length} lines match
            </>
          ) : (
            <>
              {stream.rows.length} line{stream.rows.length === 1 ? '' : 's'}
            </>
          )}
          {stderrCount > 0 && <> · <span className="stderr-text">{stderrCount} stderr</span></>}
          {stream.dropped > 0 && <> · oldest {stream.dropped} dropped (keeps the last {DEFAULT_MAX_LINES})</>}
        </span>
        {paused && (
          <span className="chip chip-warn" data-testid="log-held">
            {stream.heldCount} new line{stream.heldCount === 1 ? '' : 's'} while paused
          </span>
        )}
        {(stream.status === 'ended' || stream.status === 'error') && (
          <button type="button" className="btn btn-sm" onClick={stream.reconnect}>
            Reconnect
          </button>
        )}
      </div>

      {stream.status === 'error' && <ErrorNotice error={stream.error} title="Cannot follow these logs" compact />}

      <div className={`log-frame${paused ? ' paused' : ''}`}>
        <LogView
          rows={shown}
          query={needle}
          timestamps={timestamps}
          follow={follow && !paused}
          onFollowChange={setFollow}
          empty={
            stream.status === 'connecting'
              ? 'Waiting for the first lines…'
              : needle && stream.rows.length
                ? `No line contains “${query.trim()}”.`
                : containers.length === 0
                  ? 'This cluster has no containers to read logs from.'
                  : 'No lines yet. API nodes log one JSON line per request, health checks included.'
          }
        />
        {!follow && !paused && shown.length > 0 && (
          <button type="button" className="btn btn-sm log-jump" onClick={() => setFollow(true)}>
            ↓ Jump to latest
          </button>
        )}
      </div>
    </div>
  );
}
