import type { ServerResponse } from 'node:http';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
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

/**
 * How long a stall stays reported: long enough for every caller queued behind it to see it, short enough that one
 * stall fails at most one kubelet liveness probe (periodSeconds >= 10 in the chart), so it alone never restarts a pod.
 */
export const STALL_REPORT_MS = 5000;

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
 *   503 when the event loop stalled beyond `maxEventLoopDelayMs` (for STALL_REPORT_MS after the stall is seen) or the
 *   application called `markBroken`.
 */
export function createProbes(
  lifecycle: Lifecycle,
  checks: ReadinessChecks,
  progress: WarmupProgress,
  options: ProbeOptions,
): Probes {
  let eventLoop: IntervalHistogram | undefined;
  let stall: { ms: number; until: number } | undefined;
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
      // The worst delay since the previous liveness answer. A stall past the limit is reported to every caller for
      // STALL_REPORT_MS after it is seen, not only to the first (the kubelet, a monitor, a human with curl).
      const now = performance.now();
      const eventLoopDelayMs = Math.round(eventLoop.max / 1e6);
      eventLoop.reset();
      if (eventLoopDelayMs > options.maxEventLoopDelayMs)
        stall = { ms: eventLoopDelayMs, until: now + STALL_REPORT_MS };
      if (stall !== undefined && now < stall.until) {
        return { status: 503, body: { state, eventLoopDelayMs: Math.max(eventLoopDelayMs, stall.ms) } };
      }
      return { status: 200, body: { state, eventLoopDelayMs } };
    },
    close() {
      eventLoop?.disable();
    },
  };
}

export type ProbeHandler = () => ProbeResponse | Promise<ProbeResponse>;

/** The probe paths and what answers each. */
export function probeRoutes(probes: Probes, options: ProbeOptions): ReadonlyArray<readonly [string, ProbeHandler]> {
  return [
    [options.startupPath, probes.startup],
    [options.readinessPath, probes.readiness],
    [options.livenessPath, probes.liveness],
  ];
}

/** Answers one probe on a Node response: its status, `no-store`, and the JSON body. */
export async function writeProbe(handler: ProbeHandler, response: ServerResponse): Promise<void> {
  const { status, body } = await handler();
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/** The path of a request URL, without its query. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
