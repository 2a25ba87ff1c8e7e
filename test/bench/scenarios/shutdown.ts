import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { get } from '../../support/http.js';
import type { BenchConfig } from '../config.js';
import { startReadyDemo } from '../demo.js';
import { rotated } from '../rounds.js';
import { type Spread, spread } from '../stats.js';

type Mode = 'on' | 'off';
const MODES: readonly Mode[] = ['on', 'off'];
const ROUTE = '/hello';
const READINESS_POLL_MS = 50;
/** Past the demo's own shutdown deadline (WARMSCALE_SHUTDOWN_TIMEOUT_MS, 20 s by default): a hung shutdown is killed. */
const EXIT_LIMIT_MS = 30_000;

export interface ShutdownSample {
  readonly round: number;
  readonly mode: Mode;
  readonly delayMs: number;
  readonly sent: number;
  readonly sentAfterSignal: number;
  readonly failed: number;
  /** Failed requests by cause: an errno (no response at all) or `HTTP <status>` for a 5xx. */
  readonly failures: Readonly<Record<string, number>>;
  /** From SIGTERM to the first `/readyz` answer other than 200. */
  readonly notReadyAfterMs: number | undefined;
  readonly exitedAfterMs: number;
  readonly exitCode: number | string;
}

export interface ShutdownSummary {
  readonly mode: Mode;
  readonly delayMs: number;
  readonly sent: Spread;
  readonly failed: Spread;
  readonly failures: Readonly<Record<string, number>>;
  /** From SIGTERM to `/readyz` answering anything but 200 (or nothing at all). */
  readonly notReadyAfterMs: Spread | undefined;
  readonly exitedAfterMs: Spread;
  readonly exitCodes: readonly (number | string)[];
}

export interface ShutdownResult {
  readonly propagationMs: number;
  readonly requestsPerSec: number;
  readonly summaries: readonly ShutdownSummary[];
  readonly samples: readonly ShutdownSample[];
}

/** What one request came to: `ok`, or the failure cause. */
async function send(url: string, agent: Agent): Promise<string> {
  try {
    const { status } = await get(url, agent);
    return status >= 500 ? `HTTP ${status}` : 'ok';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

async function measure(mode: Mode, round: number, config: BenchConfig): Promise<ShutdownSample> {
  const { delayMs, propagationMs, loadBeforeMs, workers, intervalMs } = config.shutdown;
  const shutdownDelayMs = mode === 'on' ? delayMs : 0;
  const { demo } = await startReadyDemo({
    WARMSCALE_WARMUP_ENABLED: 'false',
    WARMSCALE_SHUTDOWN_DELAY_MS: String(shutdownDelayMs),
  });
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const url = `${demo.url}${ROUTE}`;
  const failures: Record<string, number> = {};
  let sent = 0;
  let sentAfterSignal = 0;
  let signalledAt: number | undefined;
  let routedUntil = Number.POSITIVE_INFINITY;
  let notReadyAfterMs: number | undefined;
  let exitedAt = Number.NaN;
  const exited = demo.exited.then((code) => {
    exitedAt = performance.now();
    return code;
  });

  // Paced, not closed-loop: a refused connection fails in microseconds, and a closed loop would turn one second of
  // refusals into thousands of "failures". At a fixed offered rate the count reads as "requests lost".
  async function worker(offsetMs: number): Promise<void> {
    let next = performance.now() + offsetMs;
    await sleep(offsetMs);
    while (performance.now() < routedUntil) {
      sent++;
      if (signalledAt !== undefined) sentAfterSignal++;
      const outcome = await send(url, agent);
      if (outcome !== 'ok') failures[outcome] = (failures[outcome] ?? 0) + 1;
      // A slot missed while a request was slow is skipped, not made up: the offered rate never exceeds the target.
      next = Math.max(next + intervalMs, performance.now());
      await sleep(next - performance.now());
    }
  }

  // Times the readiness flip, as the kubelet would see it (a fresh connection per probe).
  async function watchReadiness(): Promise<void> {
    while (performance.now() < routedUntil) {
      const status = await get(`${demo.url}/readyz`).then(
        (response) => response.status,
        () => 0,
      );
      if (signalledAt !== undefined && status !== 200 && notReadyAfterMs === undefined) {
        notReadyAfterMs = performance.now() - signalledAt;
      }
      await sleep(READINESS_POLL_MS);
    }
  }

  try {
    const load = Promise.all([
      ...Array.from({ length: workers }, (_, i) => worker((i * intervalMs) / workers)),
      watchReadiness(),
    ]);
    await sleep(loadBeforeMs);
    signalledAt = performance.now();
    // The load balancer keeps routing new requests to the pod for `propagationMs` after it started terminating
    // (endpoint removal takes that long to reach kube-proxy and ingresses), whatever the pod does meanwhile.
    routedUntil = signalledAt + propagationMs;
    demo.child.kill('SIGTERM');
    await load;
    const killer = setTimeout(() => demo.child.kill('SIGKILL'), EXIT_LIMIT_MS);
    const exitCode = await exited;
    clearTimeout(killer);
    return {
      round,
      mode,
      delayMs: shutdownDelayMs,
      sent,
      sentAfterSignal,
      failed: Object.values(failures).reduce((sum, n) => sum + n, 0),
      failures,
      notReadyAfterMs,
      exitedAfterMs: exitedAt - signalledAt,
      exitCode,
    };
  } finally {
    agent.destroy();
    await demo.stop('SIGKILL');
  }
}

function addUp(samples: readonly ShutdownSample[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const sample of samples) {
    for (const [cause, count] of Object.entries(sample.failures)) total[cause] = (total[cause] ?? 0) + count;
  }
  return total;
}

export async function runShutdown(config: BenchConfig, log: (line: string) => void): Promise<ShutdownResult> {
  const samples: ShutdownSample[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const mode of rotated(MODES, round)) {
      const sample = await measure(mode, round, config);
      samples.push(sample);
      log(
        `shutdown round ${round} delay ${mode} (${sample.delayMs} ms): ${sample.failed}/${sample.sent} failed ` +
          `${JSON.stringify(sample.failures)}, exit ${sample.exitCode} after ${Math.round(sample.exitedAfterMs)} ms`,
      );
    }
  }
  const { workers, intervalMs, propagationMs } = config.shutdown;
  return {
    propagationMs,
    requestsPerSec: (workers * 1000) / intervalMs,
    summaries: MODES.map((mode) => {
      const own = samples.filter((s) => s.mode === mode);
      const notReady = own.flatMap((s) => (s.notReadyAfterMs === undefined ? [] : [s.notReadyAfterMs]));
      return {
        mode,
        delayMs: own[0]?.delayMs ?? 0,
        sent: spread(own.map((s) => s.sent)),
        failed: spread(own.map((s) => s.failed)),
        failures: addUp(own),
        notReadyAfterMs: notReady.length === 0 ? undefined : spread(notReady),
        exitedAfterMs: spread(own.map((s) => s.exitedAfterMs)),
        exitCodes: own.map((s) => s.exitCode),
      };
    }),
    samples,
  };
}
