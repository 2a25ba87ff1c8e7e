/**
 * The lab's client, in its own process so that its CPU and sockets are not the balancer's. It sends GETs through the
 * balancer and reports every request's send time, latency and outcome. A phase's rate is paced to the
 * {@link LoadProfile} (open loop: a slow server does not slow the schedule down): most of those requests go round-robin
 * over a fixed set of keep-alive clients with one connection each, the way the replicas of an upstream service each
 * keep a connection to a Service; a share comes from clients without keep-alive, one new connection per request. A
 * phase's clients (closed loop) each keep one keep-alive connection and send their next request when the last one is
 * answered; a request their pod shed (503 with `Retry-After`) they send again after the time it asks, a bounded
 * number of times. Started by `startLoadGenerator()`.
 */
import { Agent, type IncomingMessage, request } from 'node:http';
import { clientsDue, type LoadProfile, pathSequence, profileSeconds, requestsDue, seededRandom } from './profile.js';

/** How a closed-loop client retries a shed request. */
export interface RetryPolicy {
  /** Retries of one request after the first attempt; the last shed answer is then the request's outcome. */
  readonly maxRetries: number;
  /** A longer `Retry-After` is waited for this long only. */
  readonly maxRetryAfterSeconds: number;
}

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
  /** Every request asks for this path; undefined: the route mix. */
  readonly path?: string;
  /** How closed-loop clients retry a shed request. */
  readonly retry: RetryPolicy;
}

/** A shed answer: the `reason` of its JSON body (empty when it had none) and whether the client sent it again. */
export interface Shed {
  readonly reason: string;
  readonly retried: boolean;
}

/**
 * One request (each attempt of a retried one): send time in ms from the profile start, latency in ms (until the
 * response ended or the error), the HTTP status or the error code (`ECONNRESET`, `ECONNREFUSED`, `timeout`, ...), the
 * local port of its connection (0 if it never had one), by which the balancer's routes tell which replica served it,
 * and for a shed answer what it said and whether it was retried.
 */
export type RequestRecord = [
  sentMs: number,
  latencyMs: number,
  outcome: number | string,
  localPort: number,
  shed?: Shed,
];

export type GeneratorMessage =
  | { readonly type: 'records'; readonly records: RequestRecord[] }
  | {
      readonly type: 'done';
      readonly sent: number;
      readonly connections: number;
      readonly fresh: number;
      readonly clients: number;
    };

/**
 * The seconds a shed answer asks the client to wait: `Retry-After` as delay-seconds or an HTTP date (RFC 9110
 * 10.2.3), at most `maxSeconds`; undefined when the answer is no shed answer (not a 503, or no valid `Retry-After`).
 */
export function retryAfterSeconds(
  status: number,
  header: string | undefined,
  maxSeconds: number,
  now = Date.now(),
): number | undefined {
  if (status !== 503 || header === undefined) return undefined;
  const text = header.trim();
  let seconds: number;
  if (/^\d+$/.test(text)) seconds = Number(text);
  else {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    seconds = Math.max(0, (date - now) / 1000);
  }
  return Math.min(seconds, maxSeconds);
}

/**
 * A closed-loop client's pause after a request that got no answer because its connection failed (no endpoint, a
 * reset): 1 s, gRPC's initial reconnect back-off, rather than a loop of connection errors as fast as the kernel
 * refuses them. A timeout or any HTTP answer is followed by the next request at once.
 */
export const RECONNECT_PAUSE_MS = 1_000;

/** The pause after a request's last attempt: {@link RECONNECT_PAUSE_MS} after a connection error, else none. */
export function pauseAfter(outcome: number | string): number {
  return typeof outcome === 'string' && outcome !== 'timeout' ? RECONNECT_PAUSE_MS : 0;
}

/** Whether an answer is a shed one: 503 with a valid `Retry-After`. */
export function isShed(outcome: number | string, retryAfter: string | undefined): boolean {
  return typeof outcome === 'number' && retryAfterSeconds(outcome, retryAfter, Number.POSITIVE_INFINITY) !== undefined;
}

/** What a client does after an attempt answered `status`: send it again after `waitMs`, or move on. */
export type NextStep = { readonly retry: true; readonly waitMs: number } | { readonly retry: false };

/** The retry decision of attempt `attempt` (0: the first one) of a request, under `policy`. */
export function nextStep(
  status: number | string,
  retryAfter: string | undefined,
  attempt: number,
  policy: RetryPolicy,
): NextStep {
  if (typeof status !== 'number' || attempt >= policy.maxRetries) return { retry: false };
  const seconds = retryAfterSeconds(status, retryAfter, policy.maxRetryAfterSeconds);
  return seconds === undefined ? { retry: false } : { retry: true, waitMs: seconds * 1000 };
}

/** The `reason` of a shed answer's JSON body, or '' when it has none. */
export function shedReason(body: string): string {
  try {
    const reason = (JSON.parse(body) as { reason?: unknown }).reason;
    return typeof reason === 'string' ? reason : '';
  } catch {
    return '';
  }
}

const TICK_MS = 2;
const REPORT_MS = 1_000;

/** The longest the generator waits after the profile for a request it sent, retries of a closed-loop one included. */
export function drainMs(spec: Pick<GeneratorSpec, 'timeoutMs' | 'retry'>): number {
  const { maxRetries, maxRetryAfterSeconds } = spec.retry;
  return (maxRetries + 1) * spec.timeoutMs + maxRetries * maxRetryAfterSeconds * 1000 + RECONNECT_PAUSE_MS + 1_000;
}

function errorCode(error: NodeJS.ErrnoException): string {
  return error.code ?? error.message;
}

async function main(spec: GeneratorSpec): Promise<void> {
  // One agent per client with a single socket: every connection carries its share of the requests, so the share of
  // a replica is the share of the connections the balancer gave it. (One shared pool would shrink to the one or two
  // sockets a light load needs, and put all traffic on whichever replicas those reached.)
  let connections = 0;
  const countingAgent = (): Agent => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = ((...args: Parameters<typeof createConnection>) => {
      connections++;
      return createConnection(...args);
    }) as typeof agent.createConnection;
    return agent;
  };
  const agents = Array.from({ length: spec.connections }, countingAgent);
  let nextAgent = 0;

  const nextPath = pathSequence(spec.seed);
  const roll = seededRandom(spec.seed + 1);
  let fresh = 0;
  const totalSeconds = profileSeconds(spec.profile);
  const origin = performance.now() + (spec.startAt - Date.now());
  let pending: RequestRecord[] = [];
  let sent = 0;
  let paced = 0;
  let inFlight = 0;
  let stopping = false;

  const flush = (): void => {
    if (pending.length === 0) return;
    const message: GeneratorMessage = { type: 'records', records: pending };
    pending = [];
    process.send?.(message);
  };

  const path = (): string => spec.path ?? nextPath();

  /** One attempt on `agent` (false: a new connection); resolves when it is recorded, with its outcome and next step. */
  const attempt = (
    url: string,
    agent: Agent | false,
    retry: (status: number | string, retryAfter: string | undefined) => NextStep,
  ): Promise<{ outcome: number | string; step: NextStep }> => {
    const sentAt = performance.now();
    const sentMs = Math.round((sentAt - origin) * 10) / 10;
    inFlight++;
    sent++;
    let localPort = 0;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: number | string, res?: IncomingMessage, body = ''): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inFlight--;
        const retryAfter = res?.headers['retry-after'];
        const step = retry(outcome, retryAfter);
        const record: RequestRecord = [
          sentMs,
          Math.round((performance.now() - sentAt) * 100) / 100,
          outcome,
          localPort,
        ];
        if (isShed(outcome, retryAfter)) record.push({ reason: shedReason(body), retried: step.retry });
        pending.push(record);
        resolve({ outcome, step });
      };
      const req = request(url, { agent }, (res) => {
        // Only a shed answer's body is read (for its reason); every other body is discarded.
        let body = '';
        if (res.statusCode === 503) {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (body.length < 1024) body += chunk;
          });
        } else res.resume();
        res.once('end', () => settle(res.statusCode ?? 0, res, body));
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
    });
  };

  const noRetry = (): NextStep => ({ retry: false });
  const send = (): void => {
    const keepAlive = roll() >= spec.freshShare;
    if (!keepAlive) fresh++;
    const agent = keepAlive ? agents[nextAgent++ % agents.length] : undefined;
    void attempt(`${spec.url}${path()}`, agent ?? false, noRetry);
  };

  // Closed-loop clients: `wanted` is the current phase's count; a client beyond it leaves after its current request.
  let wanted = 0;
  let clientsStarted = 0;
  const clients = new Map<number, Promise<void>>();
  const runClient = async (index: number): Promise<void> => {
    const agent = countingAgent();
    try {
      while (!stopping && index < wanted) {
        const url = `${spec.url}${path()}`;
        for (let tries = 0; ; tries++) {
          const { outcome, step } = await attempt(url, agent, (status, retryAfter) =>
            nextStep(status, retryAfter, tries, spec.retry),
          );
          const waitMs = step.retry ? step.waitMs : pauseAfter(outcome);
          if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
          if (!step.retry || stopping) break;
        }
      }
    } finally {
      agent.destroy();
    }
  };
  const startClients = (): void => {
    for (let index = 0; index < wanted; index++) {
      if (clients.has(index)) continue;
      clientsStarted++;
      clients.set(
        index,
        runClient(index).finally(() => clients.delete(index)),
      );
    }
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
      while (paced < due) {
        paced++;
        send();
      }
      wanted = clientsDue(spec.profile, t);
      startClients();
    }, TICK_MS);
  });
  // Clients finish the request they are on, retries included; then the last answers come in.
  wanted = 0;
  const deadline = performance.now() + drainMs(spec);
  while ((inFlight > 0 || clients.size > 0) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  clearInterval(reporter);
  flush();
  for (const agent of agents) agent.destroy();
  const done: GeneratorMessage = { type: 'done', sent, connections, fresh, clients: clientsStarted };
  process.send?.(done, () => process.exit(0));
}

if (process.send !== undefined && process.argv[2] !== undefined) {
  await main(JSON.parse(process.argv[2]) as GeneratorSpec);
}
