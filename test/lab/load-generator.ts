/**
 * The lab's client, in its own process so that its CPU and sockets are not the balancer's. It sends GETs paced to a
 * {@link LoadProfile} (open loop: a slow server does not slow the schedule down) through the balancer, and reports
 * every request's send time, latency and outcome. Most requests go round-robin over a fixed set of keep-alive
 * clients with one connection each, the way the replicas of an upstream service each keep a connection to a Service;
 * a share comes from clients without keep-alive, one new connection per request. Started by `startLoadGenerator()`.
 */
import { Agent, request } from 'node:http';
import { type LoadProfile, pathSequence, profileSeconds, requestsDue, seededRandom } from './profile.js';

export interface GeneratorSpec {
  /** The balancer, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly profile: LoadProfile;
  /** Keep-alive clients, one connection each; a request waits for its client's connection to be free. */
  readonly connections: number;
  /** Share of requests (0 to 1) sent on a new connection each, with `Connection: close`. */
  readonly freshShare: number;
  /** A request without a full response after this long counts as failed (`timeout`). */
  readonly timeoutMs: number;
  /** `Date.now()` at which the profile starts. */
  readonly startAt: number;
  /** Seed of the route sequence. */
  readonly seed: number;
}

/**
 * One request: send time in ms from the profile start, latency in ms (until the response ended or the error), the
 * HTTP status or the error code (`ECONNRESET`, `ECONNREFUSED`, `timeout`, ...), and the local port of its connection
 * (0 if it never had one), by which the balancer's routes tell which replica served it.
 */
export type RequestRecord = [sentMs: number, latencyMs: number, outcome: number | string, localPort: number];

export type GeneratorMessage =
  | { readonly type: 'records'; readonly records: RequestRecord[] }
  | { readonly type: 'done'; readonly sent: number; readonly connections: number; readonly fresh: number };

const TICK_MS = 2;
const REPORT_MS = 1_000;

function errorCode(error: NodeJS.ErrnoException): string {
  return error.code ?? error.message;
}

async function main(spec: GeneratorSpec): Promise<void> {
  // One agent per client with a single socket: every connection carries its share of the requests, so the share of
  // a replica is the share of the connections the balancer gave it. (One shared pool would shrink to the one or two
  // sockets a light load needs, and put all traffic on whichever replicas those reached.)
  let connections = 0;
  const agents = Array.from({ length: spec.connections }, () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = ((...args: Parameters<typeof createConnection>) => {
      connections++;
      return createConnection(...args);
    }) as typeof agent.createConnection;
    return agent;
  });
  let nextAgent = 0;

  const nextPath = pathSequence(spec.seed);
  const roll = seededRandom(spec.seed + 1);
  let fresh = 0;
  const totalSeconds = profileSeconds(spec.profile);
  const origin = performance.now() + (spec.startAt - Date.now());
  let pending: RequestRecord[] = [];
  let sent = 0;
  let inFlight = 0;
  let stopping = false;

  const flush = (): void => {
    if (pending.length === 0) return;
    const message: GeneratorMessage = { type: 'records', records: pending };
    pending = [];
    process.send?.(message);
  };

  const send = (): void => {
    const sentAt = performance.now();
    const sentMs = Math.round((sentAt - origin) * 10) / 10;
    inFlight++;
    sent++;
    let settled = false;
    let localPort = 0;
    const settle = (outcome: number | string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inFlight--;
      pending.push([sentMs, Math.round((performance.now() - sentAt) * 100) / 100, outcome, localPort]);
    };
    const keepAlive = roll() >= spec.freshShare;
    if (!keepAlive) fresh++;
    const agent = keepAlive ? agents[nextAgent++ % agents.length] : undefined;
    const req = request(`${spec.url}${nextPath()}`, { agent: agent ?? false }, (res) => {
      res.resume();
      res.once('end', () => settle(res.statusCode ?? 0));
      res.once('error', (error: NodeJS.ErrnoException) => settle(errorCode(error)));
    });
    const timer = setTimeout(() => {
      settle('timeout');
      req.destroy();
    }, spec.timeoutMs);
    req.once('error', (error: NodeJS.ErrnoException) => settle(errorCode(error)));
    req.once('socket', (socket) => {
      if (socket.localPort !== undefined) localPort = socket.localPort;
      else socket.once('connect', () => (localPort = socket.localPort ?? 0));
    });
    req.end();
  };

  process.on('message', (message) => {
    if (message === 'stop') stopping = true;
  });
  // Ends with the parent: an orphaned generator never keeps sending.
  process.once('disconnect', () => process.exit(0));
  const reporter = setInterval(flush, REPORT_MS);

  await new Promise((resolve) => setTimeout(resolve, Math.max(0, origin - performance.now())));
  await new Promise<void>((resolve) => {
    const pace = setInterval(() => {
      const t = (performance.now() - origin) / 1000;
      if (stopping || t >= totalSeconds) {
        clearInterval(pace);
        resolve();
        return;
      }
      const due = requestsDue(spec.profile, t);
      while (sent < due) send();
    }, TICK_MS);
  });
  const deadline = performance.now() + spec.timeoutMs + 1_000;
  while (inFlight > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  clearInterval(reporter);
  flush();
  for (const agent of agents) agent.destroy();
  const done: GeneratorMessage = { type: 'done', sent, connections, fresh };
  process.send?.(done, () => process.exit(0));
}

if (process.send !== undefined && process.argv[2] !== undefined) {
  await main(JSON.parse(process.argv[2]) as GeneratorSpec);
}
