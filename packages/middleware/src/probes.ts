import { createServer, type Server } from 'node:http';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import type { Lifecycle } from './lifecycle.js';
import type { ProbeOptions } from './options.js';
import type { CheckResult, ReadinessChecks } from './readiness-checks.js';
import { LifecycleState } from './states.js';
import type { WarmupProgress } from './warmup.js';

/** A probe answer: 200 or 503 and a small JSON body (the kubelet reads at most 10 KiB of it). */
export interface ProbeResponse {
  readonly status: 200 | 503;
  readonly body: {
    readonly state: LifecycleState;
    readonly warmup?: WarmupProgress;
    readonly checks?: Record<string, CheckResult>;
    readonly eventLoopDelayMs?: number;
    readonly broken?: string;
  };
}

export interface Probes {
  startup(): ProbeResponse;
  readiness(): Promise<ProbeResponse>;
  liveness(): ProbeResponse;
  /** Stops the event-loop monitor. */
  close(): void;
}

const STARTED: ReadonlySet<LifecycleState> = new Set<LifecycleState>([
  LifecycleState.Ready,
  LifecycleState.Draining,
  LifecycleState.Stopping,
]);

/**
 * The three probes, all read from one lifecycle:
 * - startup: 200 once warm-up has finished (so the kubelet starts liveness and readiness probing only then);
 * - readiness: 200 only when ready and every critical check passes; 503 from the shutdown signal on, which is what
 *   takes the pod out of the Service while it keeps serving;
 * - liveness: 200 while the process can serve, including while warming and draining (a restart would not help),
 *   503 when the event loop stalled beyond `maxEventLoopDelayMs` or the application called `markBroken`.
 */
export function createProbes(
  lifecycle: Lifecycle,
  checks: ReadinessChecks,
  progress: WarmupProgress,
  options: ProbeOptions,
): Probes {
  let eventLoop: IntervalHistogram | undefined;
  if (options.maxEventLoopDelayMs > 0) {
    eventLoop = monitorEventLoopDelay({ resolution: 20 });
    eventLoop.enable();
  }
  return {
    startup() {
      const state = lifecycle.state;
      return { status: STARTED.has(state) ? 200 : 503, body: { state, warmup: progress } };
    },
    async readiness() {
      if (lifecycle.state !== LifecycleState.Ready) return { status: 503, body: { state: lifecycle.state } };
      if (checks.size === 0) return { status: 200, body: { state: lifecycle.state } };
      const result = await checks.evaluate();
      // A shutdown signal may have arrived while the checks ran.
      const state = lifecycle.state;
      return {
        status: result.ok && state === LifecycleState.Ready ? 200 : 503,
        body: { state, checks: result.checks },
      };
    },
    liveness() {
      const state = lifecycle.state;
      const broken = lifecycle.broken;
      if (broken !== undefined) return { status: 503, body: { state, broken } };
      if (eventLoop === undefined) return { status: 200, body: { state } };
      // The worst stall since the previous liveness probe.
      const eventLoopDelayMs = Math.round(eventLoop.max / 1e6);
      eventLoop.reset();
      return { status: eventLoopDelayMs > options.maxEventLoopDelayMs ? 503 : 200, body: { state, eventLoopDelayMs } };
    },
    close() {
      eventLoop?.disable();
    },
  };
}

type ProbeHandler = () => ProbeResponse | Promise<ProbeResponse>;

function probeTable(probes: Probes, options: ProbeOptions): ReadonlyArray<[string, ProbeHandler]> {
  return [
    [options.startupPath, probes.startup],
    [options.readinessPath, probes.readiness],
    [options.livenessPath, probes.liveness],
  ];
}

/** Serves the probes as routes of the application itself (the default: same port, same process health). */
export function registerProbeRoutes(fastify: FastifyInstance, probes: Probes, options: ProbeOptions): void {
  for (const [path, handler] of probeTable(probes, options)) {
    fastify.get(path, { logLevel: 'warn' }, async function serveProbe(_request, reply) {
      const { status, body } = await handler();
      reply.code(status).header('cache-control', 'no-store');
      return body;
    });
  }
}

/** Serves the probes on a separate port (`probes.port`), outside the application's routes and hooks. */
export function createProbeServer(probes: Probes, options: ProbeOptions): Server {
  const handlers = new Map(probeTable(probes, options));
  return createServer(async (request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const handler = request.method === 'GET' || request.method === 'HEAD' ? handlers.get(path) : undefined;
    if (handler === undefined) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not Found"}');
      return;
    }
    const { status, body } = await handler();
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    response.end(JSON.stringify(body));
  });
}
