import type * as NetNs from 'node:net';
import type * as HttpNs from 'node:http';
import type * as WorkerThreadsNs from 'node:worker_threads';
import type { LoadModel, LoginFlow, RequestSpec } from './types.ts';

/**
 * The load generator that runs inside a worker thread.
 *
 * `loadWorker` is written to be self-contained: it references nothing outside its own body but
 * its `deps` argument and globals, because the engine starts it from its source text
 * (`workerSource()`, an eval worker). That way the same code runs under tsx, vitest and the
 * esbuild bundles (dist/cli.mjs, dist/electron/main.mjs) with no separate worker file to ship.
 *
 * Hot path: a raw HTTP/1.1 client on net.Socket (keep-alive, one request at a time per
 * connection, no pipelining), requests pre-rendered into Buffers when they have no placeholders,
 * every socket reading into one shared buffer (`onread`), a byte-level response parser that only
 * looks at the status, Content-Length, Transfer-Encoding and Connection. Latencies go to a
 * preallocated Uint32Array (µs) that is handed to the main thread every 100 ms.
 */

export interface WorkerConfig {
  index: number;
  count: number;
  runId: string;
  host: string;
  port: number;
  hostHeader: string;
  basePath: string;
  model: LoadModel;
  requests: RequestSpec[];
  login: LoginFlow | null;
  /** This worker's share of the bounds. */
  connections: number;
  maxInFlight: number;
  maxRequests: number;
  timeoutMs: number;
  gracefulStopMs: number;
}

export interface WorkerDeps {
  net: typeof NetNs;
  http: typeof HttpNs;
  wt: typeof WorkerThreadsNs;
}

/** Main → worker. */
export type ToWorker = { type: 'start'; startAtEpochMs: number } | { type: 'stop'; graceful: boolean };

/** Worker → main. Error counts are [timeout, refused, reset, other]. */
export type FromWorker =
  | { type: 'ready'; users: number; loginFailed: number }
  | {
      type: 'batch';
      sec: number;
      lat: Uint32Array;
      /** Pairs: status, count. */
      statuses: number[];
      errors: number[];
      sent: number;
      dropped: number;
      late: number;
      lagSumMs: number;
      lagMaxMs: number;
      active: number;
      inFlight: number;
    }
  | { type: 'done'; interrupted: number; capped: boolean }
  | { type: 'fatal'; message: string };

export function loadWorker(deps: WorkerDeps): void {
  const { net, http, wt } = deps;
  if (!wt.parentPort) return;
  const port: WorkerThreadsNs.MessagePort = wt.parentPort;
  const cfg = wt.workerData as WorkerConfig;
  const now = () => performance.now();
  const post = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer ?? []);

  // Response parser phases.
  const HEAD = 0;
  const BODY = 1;
  const CH_SIZE = 2;
  const CH_EXT = 3;
  const CH_DATA = 4;
  const CH_DATA_END = 5;
  const CH_TRAILER = 6;
  const UNTIL_CLOSE = 7;
  // Error kinds (indexes into the errors array).
  const E_TIMEOUT = 0;
  const E_REFUSED = 1;
  const E_RESET = 2;
  const E_OTHER = 3;
  const MAX_HEAD = 64 * 1024;

  const open = cfg.model.kind === 'open';
  const timeoutMs = cfg.timeoutMs;

  // ------------------------------------------------------------------ templates and requests
  const PLACEHOLDERS: Record<string, number> = { vu: 0, iter: 1, rand: 2, time: 3, user: 4, run: 5 };
  type Parts = (string | number)[];
  function compile(t: string): Parts | null {
    const parts: Parts = [];
    const re = /\{\{\s*(\w+)\s*\}\}/g;
    let last = 0;
    let m: RegExpExecArray | null;
    let dynamic = false;
    while ((m = re.exec(t))) {
      const id = PLACEHOLDERS[m[1]!];
      if (id === undefined) continue;
      if (m.index > last) parts.push(t.slice(last, m.index));
      parts.push(id);
      last = m.index + m[0].length;
      dynamic = true;
    }
    if (!dynamic) return null;
    if (last < t.length) parts.push(t.slice(last));
    return parts;
  }
  function render(parts: Parts, vu: number, iter: number, user: number): string {
    let s = '';
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k]!;
      if (typeof p === 'string') s += p;
      else if (p === 0) s += vu;
      else if (p === 1) s += iter;
      else if (p === 2) s += Math.floor(Math.random() * 1e9);
      else if (p === 3) s += Date.now();
      else if (p === 4) s += user;
      else s += cfg.runId;
    }
    return s;
  }
  const renderText = (t: string, vu: number, iter: number, user: number) => {
    const parts = compile(t);
    return parts ? render(parts, vu, iter, user) : t;
  };

  interface Entry {
    method: string;
    path: string;
    pathParts: Parts | null;
    headers: string;
    body: string | null;
    bodyParts: Parts | null;
    cache: (Buffer | undefined)[];
    dynamic: boolean;
  }
  const entries: Entry[] = cfg.requests.map((r) => {
    let headers = '';
    let hasType = false;
    for (const [k, v] of Object.entries(r.headers)) {
      headers += `${k}: ${v}\r\n`;
      if (k.toLowerCase() === 'content-type') hasType = true;
    }
    if (r.body !== null && !hasType) headers += `Content-Type: ${/^\s*[[{]/.test(r.body) ? 'application/json' : 'text/plain'}\r\n`;
    const pathParts = compile(r.path);
    const bodyParts = r.body === null ? null : compile(r.body);
    return { method: r.method, path: r.path, pathParts, headers, body: r.body, bodyParts, cache: [], dynamic: !!(pathParts || bodyParts) };
  });
  const cumWeights: number[] = [];
  let totalWeight = 0;
  for (const r of cfg.requests) cumWeights.push((totalWeight += r.weight));
  const pickEntry = (): Entry => {
    if (entries.length === 1) return entries[0]!;
    const x = Math.random() * totalWeight;
    for (let k = 0; k < entries.length; k++) if (x < cumWeights[k]!) return entries[k]!;
    return entries[entries.length - 1]!;
  };

  const tokens: string[] = [];
  const tokenUsers: number[] = [];
  const authLines: string[] = [];
  const hostLine = `Host: ${cfg.hostHeader}\r\n`;

  function buildString(e: Entry, vu: number, iter: number, tok: number): string {
    const user = tok >= 0 ? tokenUsers[tok]! : vu;
    const path = cfg.basePath + (e.pathParts ? render(e.pathParts, vu, iter, user) : e.path);
    let s = `${e.method} ${path} HTTP/1.1\r\n${hostLine}${e.headers}`;
    if (tok >= 0) s += authLines[tok]!;
    if (e.body !== null) {
      const body = e.bodyParts ? render(e.bodyParts, vu, iter, user) : e.body;
      s += `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    } else if (e.method === 'POST' || e.method === 'PUT' || e.method === 'PATCH') {
      s += 'Content-Length: 0\r\n\r\n';
    } else s += '\r\n';
    return s;
  }
  /** `slot` picks the token (login flow) and is {{vu}} in the open model. */
  function build(e: Entry, vu: number, iter: number, slot: number): Buffer {
    const tok = tokens.length ? slot % tokens.length : -1;
    if (!e.dynamic) {
      const key = tok < 0 ? 0 : tok;
      let b = e.cache[key];
      if (!b) e.cache[key] = b = Buffer.from(buildString(e, vu, iter, tok));
      return b;
    }
    return Buffer.from(buildString(e, vu, iter, tok));
  }

  // ------------------------------------------------------------------ per-second statistics
  let t0 = 0; // performance.now() of the run's start in this thread
  let curSec = 0;
  let lat = new Uint32Array(16384);
  let latN = 0;
  const statusCounts = new Uint32Array(1000);
  const touched: number[] = [];
  const errs = [0, 0, 0, 0];
  let bSent = 0;
  let bDropped = 0;
  let bLate = 0;
  let bLagSum = 0;
  let bLagMax = 0;
  let dirty = false;

  function flush(): void {
    const statuses: number[] = [];
    for (const code of touched) {
      statuses.push(code, statusCounts[code]!);
      statusCounts[code] = 0;
    }
    touched.length = 0;
    const latOut = lat.slice(0, latN);
    post(
      {
        type: 'batch', sec: curSec, lat: latOut, statuses, errors: errs.slice(), sent: bSent, dropped: bDropped,
        late: bLate, lagSumMs: bLagSum, lagMaxMs: bLagMax, active: activeCount(), inFlight: busy + qLen(),
      },
      [latOut.buffer as ArrayBuffer],
    );
    latN = 0;
    errs[0] = errs[1] = errs[2] = errs[3] = 0;
    bSent = bDropped = bLate = bLagSum = bLagMax = 0;
    dirty = false;
  }
  /** Events are counted in the second (since start) in which they happen. */
  function roll(t: number): void {
    const s = Math.floor((t - t0) / 1000);
    if (s > curSec) {
      if (dirty) flush();
      curSec = s;
    }
  }
  function recordLatency(t: number, startT: number, status: number): void {
    roll(t);
    const us = (t - startT) * 1000;
    if (latN === lat.length) {
      const bigger = new Uint32Array(lat.length * 2);
      bigger.set(lat);
      lat = bigger;
    }
    lat[latN++] = us < 0 ? 0 : us > 4e9 ? 4e9 : us;
    const code = status < 1000 ? status : 999;
    const prev = statusCounts[code]!;
    statusCounts[code] = prev + 1;
    if (prev === 0) touched.push(code);
    dirty = true;
  }
  function recordError(kind: number): void {
    roll(now());
    errs[kind]!++;
    dirty = true;
  }
  function kindOf(code: string | undefined): number {
    if (code === 'ECONNREFUSED') return E_REFUSED;
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === undefined) return E_RESET;
    if (code === 'ETIMEDOUT') return E_TIMEOUT;
    return E_OTHER;
  }

  // ------------------------------------------------------------------ connections
  class Conn {
    sock!: NetNs.Socket;
    busy = false;
    dead = false;
    reused = false;
    got = false;
    retried = false;
    startT = 0;
    buf: Buffer | null = null;
    owner: VU | null = null;
    phase = HEAD;
    remaining = 0;
    status = 0;
    keepAlive = true;
    lineLen = 0;
    pend: Buffer | null = null;
    lastErr: string | undefined = undefined;
    connecting = true;
  }
  const READ_BUF = Buffer.allocUnsafe(65536);
  let connectHost = cfg.host;
  let connectPort = cfg.port;
  /** Set while warming up: called for each answer that has no VU. */
  let warmHook: (() => void) | null = null;
  // Connections being opened at once: a burst of connects beyond the server's listen backlog
  // loses SYNs, and each lost SYN costs a 1 s retransmit (seen as a fake 1 s latency).
  const MAX_CONNECTING = 32;
  let connecting = 0;
  const conns = new Set<Conn>();
  const free: Conn[] = [];
  let busy = 0;
  // FIFO of requests waiting for a connection.
  let qBuf: Buffer[] = [];
  let qStart: number[] = [];
  let qOwner: (VU | null)[] = [];
  let qRetried: boolean[] = [];
  let qHead = 0;
  const qLen = () => qBuf.length - qHead;
  function enqueue(b: Buffer, startT: number, owner: VU | null, retried: boolean): void {
    qBuf.push(b);
    qStart.push(startT);
    qOwner.push(owner);
    qRetried.push(retried);
  }
  function compactQueue(): void {
    if (qHead > 1024 && qHead * 2 > qBuf.length) {
      qBuf = qBuf.slice(qHead);
      qStart = qStart.slice(qHead);
      qOwner = qOwner.slice(qHead);
      qRetried = qRetried.slice(qHead);
      qHead = 0;
    }
  }
  /** Send the oldest waiting request on `c` (true) or report that none is waiting. */
  function sendQueued(c: Conn): boolean {
    while (qLen() > 0) {
      const k = qHead++;
      const b = qBuf[k]!;
      const st = qStart[k]!;
      const owner = qOwner[k]!;
      const retried = qRetried[k]!;
      qOwner[k] = null;
      compactQueue();
      if (now() - st > timeoutMs) {
        recordError(E_TIMEOUT);
        if (owner) vuDone(owner, true);
        continue;
      }
      send(c, b, st, owner, retried);
      return true;
    }
    return false;
  }
  function popFree(): Conn | null {
    while (free.length) {
      const c = free.pop()!;
      if (!c.dead) return c;
    }
    return null;
  }
  function connect(): Conn {
    const c = new Conn();
    c.sock = net.connect({
      host: connectHost,
      port: connectPort,
      onread: {
        buffer: READ_BUF,
        callback(n: number, b: Uint8Array) {
          onData(c, b as Buffer, n);
          return true;
        },
      },
    });
    c.sock.setNoDelay(true);
    connecting++;
    c.sock.once('connect', () => {
      c.connecting = false;
      connecting--;
      pump();
    });
    c.sock.on('error', (err: NodeJS.ErrnoException) => {
      c.lastErr = err.code ?? 'EOTHER';
    });
    c.sock.on('close', () => onClose(c));
    conns.add(c);
    return c;
  }
  function send(c: Conn, b: Buffer, startT: number, owner: VU | null, retried: boolean): void {
    c.busy = true;
    c.got = false;
    c.retried = retried;
    c.startT = startT;
    c.buf = b;
    c.owner = owner;
    c.phase = HEAD;
    c.keepAlive = true;
    busy++;
    const t = now();
    c.sock.write(b);
    roll(t);
    bSent++;
    dirty = true;
    if (open && !retried) {
      const lag = t - startT;
      if (lag > 1) bLate++;
      bLagSum += lag;
      if (lag > bLagMax) bLagMax = lag;
    }
  }
  function submit(b: Buffer, startT: number, owner: VU | null, retried: boolean): void {
    let c = popFree();
    if (!c && conns.size < cfg.connections && connecting < MAX_CONNECTING) c = connect();
    if (c) send(c, b, startT, owner, retried);
    else enqueue(b, startT, owner, retried);
  }
  /** The request on `c` is over (answered or failed): put the connection back or drop it. */
  function releaseConn(c: Conn): void {
    c.busy = false;
    c.owner = null;
    c.buf = null;
    c.pend = null;
    busy--;
    if (c.dead) return;
    if (!c.keepAlive) {
      c.dead = true;
      conns.delete(c);
      c.sock.destroy();
      pump();
      return;
    }
    if (!sendQueued(c)) free.push(c);
  }
  /** Open connections for waiting requests (after a connection was lost). */
  function pump(): void {
    while (qLen() > 0 && conns.size < cfg.connections && connecting < MAX_CONNECTING && !finished) {
      const c = connect();
      if (!sendQueued(c)) {
        free.push(c);
        break;
      }
    }
  }
  function complete(c: Conn): void {
    const t = now();
    recordLatency(t, c.startT, c.status);
    c.reused = true;
    const owner = c.owner;
    releaseConn(c);
    if (owner) vuDone(owner, false);
    else if (warmHook) warmHook();
    else if (open && !ending && nextT >= 0 && t - t0 >= nextT) sendDue(t - t0);
    if (ending) maybeFinish();
  }
  function failRequest(c: Conn, kind: number): void {
    recordError(kind);
    const owner = c.owner;
    releaseConn(c);
    if (owner) vuDone(owner, true);
    else if (open && !ending && nextT >= 0 && now() - t0 >= nextT) sendDue(now() - t0);
    if (ending) maybeFinish();
  }
  function onClose(c: Conn): void {
    if (c.connecting) {
      c.connecting = false;
      connecting--;
    }
    if (c.dead && !c.busy) {
      conns.delete(c);
      return;
    }
    const wasDead = c.dead;
    c.dead = true;
    conns.delete(c);
    if (c.busy && !wasDead) {
      if (c.phase === UNTIL_CLOSE) complete(c);
      else if (!c.got && c.reused && !c.retried && !finished) {
        // The server closed an idle keep-alive connection as we reused it: send again once.
        const b = c.buf!;
        const st = c.startT;
        const owner = c.owner;
        c.busy = false;
        c.owner = null;
        c.buf = null;
        busy--;
        submit(b, st, owner, true);
      } else failRequest(c, kindOf(c.lastErr));
    }
    pump();
  }

  /** Index of the CRLFCRLF ending the head in b[i, n), or -1. */
  function findHeadEnd(b: Buffer, i: number, n: number): number {
    for (let k = i; k + 3 < n; k++) {
      if (b[k] === 13 && b[k + 1] === 10 && b[k + 2] === 13 && b[k + 3] === 10) return k;
    }
    return -1;
  }
  /** Lower-case ASCII compare of b[pos…] with `name` (name given in lower case). */
  function nameIs(b: Buffer, pos: number, end: number, name: string): boolean {
    if (end - pos !== name.length) return false;
    for (let k = 0; k < name.length; k++) if ((b[pos + k]! | 0x20) !== name.charCodeAt(k)) return false;
    return true;
  }
  function valueHas(b: Buffer, from: number, to: number, word: string): boolean {
    const w0 = word.charCodeAt(0);
    outer: for (let k = from; k <= to - word.length; k++) {
      if ((b[k]! | 0x20) !== w0) continue;
      for (let j = 1; j < word.length; j++) if ((b[k + j]! | 0x20) !== word.charCodeAt(j)) continue outer;
      return true;
    }
    return false;
  }
  /** Parse the status line and headers in b[s, h) (h = index of the final CRLFCRLF). */
  function parseHead(c: Conn, b: Buffer, s: number, h: number): boolean {
    if (b[s] !== 72 || b[s + 1] !== 84 || b[s + 4] !== 47 || h - s < 12) return false; // "HT../"
    const status = (b[s + 9]! - 48) * 100 + (b[s + 10]! - 48) * 10 + (b[s + 11]! - 48);
    if (!(status >= 100 && status <= 999)) return false;
    c.status = status;
    c.keepAlive = b[s + 7] !== 48; // HTTP/1.0 closes unless it says keep-alive
    let contentLength = -1;
    let chunked = false;
    let pos = s;
    while (b[pos] !== 10 && pos < h) pos++;
    pos++;
    while (pos < h + 2) {
      let eol = pos;
      while (eol < h + 2 && b[eol] !== 13) eol++;
      let colon = pos;
      while (colon < eol && b[colon] !== 58) colon++;
      if (colon < eol) {
        const n = colon - pos;
        let v = colon + 1;
        while (v < eol && (b[v] === 32 || b[v] === 9)) v++;
        if (n === 14 && nameIs(b, pos, colon, 'content-length')) {
          let x = 0;
          for (let k = v; k < eol; k++) {
            const d = b[k]! - 48;
            if (d < 0 || d > 9) break;
            x = x * 10 + d;
          }
          contentLength = x;
        } else if (n === 17 && nameIs(b, pos, colon, 'transfer-encoding')) {
          chunked = valueHas(b, v, eol, 'chunked');
        } else if (n === 10 && nameIs(b, pos, colon, 'connection')) {
          if (valueHas(b, v, eol, 'close')) c.keepAlive = false;
          else if (valueHas(b, v, eol, 'keep-alive')) c.keepAlive = true;
        }
      }
      pos = eol + 2;
    }
    const noBody = status < 200 || status === 204 || status === 304 || c.buf![0] === 72; // HEAD request
    if (noBody) c.remaining = 0;
    else if (chunked) {
      c.phase = CH_SIZE;
      c.remaining = 0;
      return true;
    } else if (contentLength >= 0) c.remaining = contentLength;
    else {
      c.phase = UNTIL_CLOSE;
      c.keepAlive = false;
      return true;
    }
    c.phase = BODY;
    return true;
  }

  function onData(c: Conn, b: Buffer, n: number): void {
    if (!c.busy || c.dead) return;
    c.got = true;
    let i = 0;
    if (c.pend) {
      b = Buffer.concat([c.pend, b.subarray(0, n)]);
      n = b.length;
      c.pend = null;
    }
    while (i < n) {
      switch (c.phase) {
        case HEAD: {
          const h = findHeadEnd(b, i, n);
          if (h < 0) {
            if (n - i > MAX_HEAD) {
              c.keepAlive = false;
              return failRequest(c, E_OTHER);
            }
            c.pend = Buffer.from(b.subarray(i, n));
            return;
          }
          if (!parseHead(c, b, i, h)) {
            c.keepAlive = false;
            return failRequest(c, E_OTHER);
          }
          i = h + 4;
          if ((c.phase as number) === BODY && c.remaining === 0) return complete(c);
          break;
        }
        case BODY: {
          const take = Math.min(c.remaining, n - i);
          c.remaining -= take;
          i += take;
          if (c.remaining === 0) return complete(c);
          break;
        }
        case CH_SIZE: {
          const ch = b[i++]!;
          if (ch === 10) {
            if (c.remaining === 0) {
              c.phase = CH_TRAILER;
              c.lineLen = 0;
            } else c.phase = CH_DATA;
          } else if (ch === 59) c.phase = CH_EXT;
          else if (ch !== 13 && ch !== 32) {
            const d = ch >= 48 && ch <= 57 ? ch - 48 : (ch | 0x20) >= 97 && (ch | 0x20) <= 102 ? (ch | 0x20) - 87 : -1;
            if (d < 0) {
              c.keepAlive = false;
              return failRequest(c, E_OTHER);
            }
            c.remaining = c.remaining * 16 + d;
          }
          break;
        }
        case CH_EXT:
          if (b[i++] === 10) {
            if (c.remaining === 0) {
              c.phase = CH_TRAILER;
              c.lineLen = 0;
            } else c.phase = CH_DATA;
          }
          break;
        case CH_DATA: {
          const take = Math.min(c.remaining, n - i);
          c.remaining -= take;
          i += take;
          if (c.remaining === 0) c.phase = CH_DATA_END;
          break;
        }
        case CH_DATA_END:
          if (b[i++] === 10) {
            c.phase = CH_SIZE;
            c.remaining = 0;
          }
          break;
        case CH_TRAILER: {
          const ch = b[i++]!;
          if (ch === 10) {
            if (c.lineLen === 0) return complete(c);
            c.lineLen = 0;
          } else if (ch !== 13) c.lineLen++;
          break;
        }
        default: // UNTIL_CLOSE
          i = n;
      }
    }
  }

  // ------------------------------------------------------------------ closed model: virtual users
  class VU {
    id: number;
    slot: number;
    iter = 0;
    running = false;
    stopping = false;
    timer: ReturnType<typeof setTimeout> | null = null;
    constructor(id: number, slot: number) {
      this.id = id;
      this.slot = slot;
    }
  }
  const vus: VU[] = [];
  let running = 0;
  const activeCount = () => (open ? 0 : running);
  let issued = 0;
  let capped = false;
  const think = cfg.model.kind === 'closed' ? cfg.model.thinkTimeMs : { min: 0, max: 0 };

  function vuIterate(vu: VU): void {
    vu.timer = null;
    if (vu.stopping || ending || finished) {
      vu.running = false;
      vu.stopping = false;
      running--;
      if (ending) maybeFinish();
      return;
    }
    if (issued >= cfg.maxRequests) {
      capped = true;
      vu.running = false;
      running--;
      endTimeline();
      return;
    }
    issued++;
    submit(build(pickEntry(), vu.id, vu.iter++, vu.slot), now(), vu, false);
  }
  function vuDone(vu: VU, failed: boolean): void {
    let pause = think.max > 0 ? think.min + Math.random() * (think.max - think.min) : 0;
    if (failed && pause < 10) pause = 10; // no busy loop against a refusing server
    if (pause > 0 && !ending) vu.timer = setTimeout(vuIterate, pause, vu);
    else vuIterate(vu);
  }
  function stopVU(vu: VU): void {
    if (!vu.running || vu.stopping) return;
    if (vu.timer) {
      clearTimeout(vu.timer);
      vu.timer = null;
      vu.running = false;
      running--;
    } else vu.stopping = true; // leaves after its request
  }
  function stagesTarget(tMs: number): number {
    const m = cfg.model;
    let from = m.kind === 'closed' ? m.startVUs : m.startRate;
    let s0 = 0;
    for (const s of m.stages) {
      if (tMs < s0 + s.durationMs) return s.durationMs === 0 ? s.target : from + ((s.target - from) * (tMs - s0)) / s.durationMs;
      from = s.target;
      s0 += s.durationMs;
    }
    return from;
  }
  const stagesMs = cfg.model.stages.reduce((a, s) => a + s.durationMs, 0);
  function adjustVUs(): void {
    const t = now() - t0;
    if (t >= stagesMs) return endTimeline();
    const total = Math.round(stagesTarget(t));
    const mine = total > cfg.index ? Math.floor((total - 1 - cfg.index) / cfg.count) + 1 : 0;
    while (vus.length < mine) vus.push(new VU(cfg.index + cfg.count * vus.length, vus.length));
    for (let k = 0; k < vus.length; k++) {
      const vu = vus[k]!;
      if (k < mine) {
        if (!vu.running) {
          vu.running = true;
          running++;
          vuIterate(vu);
        } else vu.stopping = false;
      } else stopVU(vu);
    }
  }

  // ------------------------------------------------------------------ open model: the timeline
  // Request i (of all workers) is due when the integral of the arrival rate reaches i; this
  // worker sends every i with i % count === index. Within a stage the rate ramps linearly from
  // r0 to r1 (per ms), so N(t) = r0 t + (r1 - r0) t² / 2D and t(k) solves a quadratic.
  const sStart: number[] = [];
  const sDur: number[] = [];
  const sR0: number[] = [];
  const sR1: number[] = [];
  const sN0: number[] = [];
  const sN1: number[] = [];
  if (cfg.model.kind === 'open') {
    let from = cfg.model.startRate / 1000;
    let tAcc = 0;
    let nAcc = 0;
    for (const s of cfg.model.stages) {
      const to = s.target / 1000;
      sStart.push(tAcc);
      sDur.push(s.durationMs);
      sR0.push(from);
      sR1.push(to);
      sN0.push(nAcc);
      nAcc += ((from + to) / 2) * s.durationMs;
      sN1.push(nAcc);
      tAcc += s.durationMs;
      from = to;
    }
  }
  let cursor = 0;
  /** Due time (ms since start) of request i, or -1 when the timeline has ended. */
  function dueTime(i: number): number {
    while (cursor < sDur.length && sN1[cursor]! <= i) cursor++;
    if (cursor >= sDur.length) return -1;
    const k = i - sN0[cursor]!;
    const r0 = sR0[cursor]!;
    const a = (sR1[cursor]! - r0) / (2 * sDur[cursor]!);
    const disc = r0 * r0 + 4 * a * k;
    const t = (2 * k) / (r0 + Math.sqrt(disc > 0 ? disc : 0));
    return sStart[cursor]! + (Number.isFinite(t) ? t : 0);
  }
  let nextI = cfg.index;
  let nextT = -1;
  let openSlot = 0;
  /** Send every request due by now (relative time t). */
  function sendDue(t: number): void {
    while (nextT >= 0 && nextT <= t) {
      if (issued >= cfg.maxRequests) {
        capped = true;
        return endTimeline();
      }
      issued++;
      const due = t0 + nextT;
      if (busy + qLen() >= cfg.maxInFlight) {
        roll(now());
        bDropped++;
        dirty = true;
      } else {
        const slot = openSlot++;
        submit(build(pickEntry(), slot, nextI, slot), due, null, false);
      }
      nextI += cfg.count;
      nextT = dueTime(nextI);
    }
    if (nextT < 0) endTimeline();
  }
  // How the sender waits for the next due time. Timers are coarse (about 1 ms, later on a busy
  // machine), so: more than 4 ms away, a timer that wakes 3 ms early; closer, short sleeps of at
  // most 0.2 ms (Atomics.wait: a futex with a timeout, no CPU burnt) each followed by one turn
  // of the event loop so answers keep being read. The request is written right after the last
  // sleep. Spinning on setImmediate instead would cost a whole core, taken from the server under
  // test when both share a small machine; the price is that an answer arriving during a sleep is
  // read up to 0.2 ms late. Answers also send what is due (see complete()).
  const SLEEP_CHUNK_MS = 0.2;
  const sleepCell = new Int32Array(new SharedArrayBuffer(4));
  function tick(): void {
    if (ending || finished) return;
    sendDue(now() - t0);
    if (ending) return;
    const wait = nextT - (now() - t0);
    if (wait > 4) {
      setTimeout(tick, wait - 3);
      return;
    }
    if (wait > 0) Atomics.wait(sleepCell, 0, 0, Math.min(wait, SLEEP_CHUNK_MS));
    if (wait <= SLEEP_CHUNK_MS) {
      sendDue(now() - t0);
      if (ending) return;
    }
    setImmediate(tick);
  }

  // ------------------------------------------------------------------ run control
  let ending = false;
  let finished = false;
  let drainUntil = 0;
  let housekeeping: ReturnType<typeof setInterval> | null = null;
  let vuTimer: ReturnType<typeof setInterval> | null = null;

  function endTimeline(): void {
    if (ending) return;
    ending = true;
    drainUntil = now() + cfg.gracefulStopMs;
    if (vuTimer) clearInterval(vuTimer);
    for (const vu of vus) stopVU(vu);
    maybeFinish();
  }
  function maybeFinish(): void {
    if (!finished && ending && busy === 0 && qLen() === 0 && (open || running === 0)) finish();
  }
  function finish(): void {
    if (finished) return;
    finished = true;
    const interrupted = busy + qLen();
    for (const c of conns) {
      c.dead = true;
      c.busy = false;
      c.sock.destroy();
    }
    conns.clear();
    for (const vu of vus) if (vu.timer) clearTimeout(vu.timer);
    if (housekeeping) clearInterval(housekeeping);
    if (vuTimer) clearInterval(vuTimer);
    roll(now());
    flush();
    post({ type: 'done', interrupted, capped });
    port.close();
  }
  function housekeep(): void {
    const t = now();
    // Timeouts, measured from each request's (scheduled) start.
    for (const c of conns) {
      if (c.busy && t - c.startT > timeoutMs) {
        c.keepAlive = false;
        failRequest(c, E_TIMEOUT);
        c.dead = true;
        conns.delete(c);
        c.sock.destroy();
      }
    }
    while (qLen() > 0 && t - qStart[qHead]! > timeoutMs) {
      const owner = qOwner[qHead]!;
      qOwner[qHead] = null;
      qHead++;
      recordError(E_TIMEOUT);
      if (owner) vuDone(owner, true);
    }
    compactQueue();
    if (ending && t >= drainUntil) return finish();
    if (!ending && !open && t - t0 >= stagesMs) endTimeline();
    roll(t);
    flush();
  }

  // ------------------------------------------------------------------ login flow (setup)
  function httpJson(path: string, body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: cfg.host, port: cfg.port, method: 'POST', path: cfg.basePath + path, agent: false, timeout: timeoutMs,
          headers: { host: cfg.hostHeader, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            if (text.length < 65536) text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
  async function loginAll(): Promise<{ failed: number; firstError: string }> {
    const l = cfg.login!;
    const mine: number[] = [];
    for (let u = cfg.index; u < l.users; u += cfg.count) mine.push(u);
    let failed = 0;
    let firstError = '';
    const found: { user: number; token: string }[] = [];
    let next = 0;
    const one = async (u: number) => {
      try {
        if (l.registerPath) await httpJson(l.registerPath, renderText(l.registerBody, u, 0, u));
        const r = await httpJson(l.loginPath, renderText(l.body, u, 0, u));
        if (r.status < 200 || r.status > 299) throw new Error(`POST ${l.loginPath} answered ${r.status} ${r.text.slice(0, 200)}`);
        let v: unknown = JSON.parse(r.text);
        for (const key of l.tokenField.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
        if (typeof v !== 'string' || !v) throw new Error(`POST ${l.loginPath}: no string field "${l.tokenField}" in ${r.text.slice(0, 200)}`);
        found.push({ user: u, token: v });
      } catch (err) {
        failed++;
        if (!firstError) firstError = err instanceof Error ? err.message : String(err);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(8, mine.length) }, async () => {
        while (next < mine.length) await one(mine[next++]!);
      }),
    );
    found.sort((x, y) => x.user - y.user);
    for (const f of found) {
      tokens.push(f.token);
      tokenUsers.push(f.user);
      authLines.push(`${l.header}: ${l.scheme ? `${l.scheme} ` : ''}${f.token}\r\n`);
    }
    return { failed, firstError };
  }

  function start(startAtEpochMs: number): void {
    t0 = startAtEpochMs - performance.timeOrigin;
    housekeeping = setInterval(housekeep, 100);
    const begin = () => {
      if (finished || ending) return;
      if (now() < t0) return void setTimeout(begin, Math.max(0, t0 - now() - 1));
      if (open) {
        nextT = dueTime(nextI);
        tick();
      } else {
        vuTimer = setInterval(adjustVUs, 50);
        adjustVUs();
      }
    };
    begin();
  }

  port.on('message', (m: ToWorker) => {
    if (m.type === 'start') start(m.startAtEpochMs);
    else if (m.type === 'stop') {
      if (!ending) endTimeline();
      if (!m.graceful) finish();
    }
  });

  /** Open a few connections before the start so the first requests do not pay for connects. */
  function preconnect(): Promise<void> {
    const m = cfg.model;
    // Closed: one per VU; open: about what 5 ms of the peak rate keeps in flight.
    const peak =
      m.kind === 'closed'
        ? Math.ceil(Math.max(m.startVUs, ...m.stages.map((x) => x.target)) / cfg.count)
        : Math.ceil((Math.max(m.startRate, ...m.stages.map((x) => x.target)) * 0.005) / cfg.count);
    const n = Math.max(1, Math.min(cfg.connections, MAX_CONNECTING, peak));
    const opened: Promise<void>[] = [];
    for (let k = 0; k < n; k++) {
      const c = connect();
      free.push(c);
      opened.push(new Promise<void>((resolve) => {
        c.sock.once('connect', () => resolve());
        c.sock.once('close', () => resolve());
      }));
    }
    return Promise.race([Promise.all(opened).then(() => undefined), new Promise<void>((r) => setTimeout(r, 2000))]);
  }

  /**
   * A new worker is a new V8 isolate: Node's own net/stream code and ours start cold, and the
   * first few hundred milliseconds of a run would otherwise measure the generator's JIT warm-up
   * as server latency (and, in the open model, fall behind the schedule). So before the clock
   * starts, run a few thousand requests through the real client against a throwaway server on
   * 127.0.0.1 inside this thread (never the target), then forget every count.
   */
  async function warmUpNetwork(): Promise<void> {
    const answer = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
    const server = net.createServer((s) => {
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.on('data', (d: Buffer) => {
        for (let i = d.indexOf('\r\n\r\n'); i !== -1; i = d.indexOf('\r\n\r\n', i + 4)) s.write(answer);
      });
    });
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, '127.0.0.1', () => resolve(true));
    });
    if (!ok) return;
    const addr = server.address() as NetNs.AddressInfo;
    const savedT0 = t0;
    t0 = Infinity; // nothing is counted in any second
    connectHost = '127.0.0.1';
    connectPort = addr.port;
    const req = Buffer.from('GET / HTTP/1.1\r\nHost: warm-up\r\n\r\n');
    let left = 4000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      warmHook = () => {
        if (left > 0) {
          left--;
          submit(req, now(), null, false);
        } else if (busy === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (let k = 0; k < 8 && left > 0; k++, left--) submit(req, now(), null, false);
    });
    warmHook = null;
    for (const c of conns) {
      c.dead = true;
      c.busy = false;
      c.sock.destroy();
    }
    conns.clear();
    free.length = 0;
    qBuf = [];
    qStart = [];
    qOwner = [];
    qRetried = [];
    qHead = 0;
    busy = 0;
    connecting = 0;
    server.close();
    connectHost = cfg.host;
    connectPort = cfg.port;
    t0 = savedT0;
    latN = 0;
    for (const code of touched) statusCounts[code] = 0;
    touched.length = 0;
    errs[0] = errs[1] = errs[2] = errs[3] = 0;
    bSent = bDropped = bLate = bLagSum = bLagMax = 0;
    dirty = false;
  }

  /** Let the JIT compile the parser and the request builder before the clock starts. */
  function warmUp(): void {
    const fake = new Conn();
    fake.buf = Buffer.from('GET / HTTP/1.1\r\n\r\n');
    const answer = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
    for (let k = 0; k < 3000; k++) {
      parseHead(fake, answer, 0, findHeadEnd(answer, 0, answer.length));
      build(pickEntry(), 0, k, 0);
      dueTime(k);
    }
    cursor = 0;
    for (const e of entries) e.cache.length = 0; // built before the login flow: no token yet
  }

  (async () => {
    warmUp();
    await warmUpNetwork();
    await preconnect();
    let loginFailed = 0;
    if (cfg.login) {
      const r = await loginAll();
      loginFailed = r.failed;
      const mine = Math.ceil((cfg.login.users - cfg.index) / cfg.count);
      if (tokens.length === 0 && mine > 0) {
        post({ type: 'fatal', message: `login flow failed for all ${mine} users: ${r.firstError}` });
        port.close();
        return;
      }
    }
    post({ type: 'ready', users: tokens.length, loginFailed });
  })().catch((err: unknown) => {
    post({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
    port.close();
  });
}

/** JavaScript source of an eval worker running `loadWorker` (see the note at the top). */
export function workerSource(): string {
  return [
    '"use strict";',
    // tsx (esbuild keepNames) wraps named functions and classes in __name(); give it one here.
    'var __name = function (target) { return target; };',
    `(${loadWorker.toString()})({ net: require('node:net'), http: require('node:http'), wt: require('node:worker_threads') });`,
  ].join('\n');
}
