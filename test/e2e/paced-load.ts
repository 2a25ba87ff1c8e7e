import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';

/** A paced request stream at one replica. */
export interface PacedLoadSpec {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** Paths requested in turn, e.g. `['/hello', '/catalog/search?q=shoe']`. */
  readonly paths: readonly string[];
  /** Requests started per second, spread evenly (request `i` starts at `i / ratePerSecond` s). */
  readonly ratePerSecond: number;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Keep connections open between requests (Node's keep-alive agent, which also honours `Connection: close` from
   * the server). `false` opens a new connection per request and asks the server to close it, as the kubelet's
   * HTTP probes do.
   * @defaultValue `true`
   */
  readonly keepAlive?: boolean;
  /** Hard stop after this many milliseconds even if `stop()` is never called. */
  readonly maxMs: number;
}

/** What a paced stream sent and got back. */
export interface PacedLoadSummary {
  /** Requests started. */
  readonly sent: number;
  /** Responses received, by status code. */
  readonly statuses: Readonly<Record<number, number>>;
  /** Requests that failed without a response. */
  readonly errors: number;
  /** TCP connections opened. */
  readonly connections: number;
  /** Wall-clock time (ms since the epoch) at which each response ended, in order. */
  readonly completedAt: readonly number[];
}

/** A running paced stream. */
export interface PacedLoad {
  /** Stops starting requests, waits for the ones in flight and resolves with the summary. */
  stop(): Promise<PacedLoadSummary>;
}

// A 5 ms tick keeps every request within a few ms of its slot; the count per second is exact either way.
const TICK_MS = 5;

/**
 * Starts `spec.ratePerSecond` requests per second at `spec.baseUrl`, in this process, and counts exactly what it sent
 * and what came back, so a test can compare a server-side rate with the rate actually delivered.
 */
export function startPacedLoad(spec: PacedLoadSpec): PacedLoad {
  if (!(spec.ratePerSecond > 0)) throw new Error(`ratePerSecond must be > 0 (got ${spec.ratePerSecond})`);
  if (spec.paths.length === 0) throw new Error('paths must name at least one path');
  const keepAlive = spec.keepAlive ?? true;
  const agent = new Agent({ keepAlive, maxSockets: 16 });
  const headers: Record<string, string> = { ...spec.headers, ...(keepAlive ? {} : { connection: 'close' }) };
  const statuses: Record<number, number> = {};
  const completedAt: number[] = [];
  const sockets = new WeakSet<Socket>();
  let connections = 0;
  let errors = 0;
  let sent = 0;
  let inFlight = 0;
  let stopped = false;
  let idle: (() => void) | undefined;

  const fire = (path: string): void => {
    sent += 1;
    inFlight += 1;
    let settled = false;
    const settle = (status: number | undefined): void => {
      if (settled) return;
      settled = true;
      if (status === undefined) {
        errors += 1;
      } else {
        completedAt.push(Date.now());
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
      inFlight -= 1;
      if (stopped && inFlight === 0) idle?.();
    };
    const req = request(`${spec.baseUrl}${path}`, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => settle(res.statusCode ?? 0));
      res.on('error', () => settle(undefined));
    });
    req.on('socket', (socket) => {
      if (sockets.has(socket)) return;
      sockets.add(socket);
      connections += 1;
    });
    req.on('error', () => settle(undefined));
    req.end();
  };

  const startedAt = performance.now();
  const timer = setInterval(() => {
    const elapsedMs = performance.now() - startedAt;
    if (elapsedMs >= spec.maxMs) {
      void summary();
      return;
    }
    const due = Math.floor((elapsedMs / 1000) * spec.ratePerSecond) + 1;
    while (sent < due) fire(spec.paths[sent % spec.paths.length] as string);
  }, TICK_MS);

  let done: Promise<PacedLoadSummary> | undefined;
  const summary = (): Promise<PacedLoadSummary> => {
    done ??= (async () => {
      stopped = true;
      clearInterval(timer);
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      agent.destroy();
      return { sent, statuses, errors, connections, completedAt };
    })();
    return done;
  };
  return { stop: summary };
}

/** Responses that ended in the window `(fromMs, toMs]`. */
export function completedBetween(summary: PacedLoadSummary, fromMs: number, toMs: number): number {
  return summary.completedAt.filter((at) => at > fromMs && at <= toMs).length;
}
