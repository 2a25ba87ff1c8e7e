import { Agent } from 'node:http';
import { get, pool } from '../../support/http.js';
import type { BenchConfig } from '../config.js';
import { startReadyDemo } from '../demo.js';
import { perRound, rotated } from '../rounds.js';
import { median, percentile, type Spread, spread } from '../stats.js';

/** The demo's cold route: its first call builds the catalog index, and its warm-up step pays that before ready. */
const COLD_ROUTE = '/catalog/search';
const QUERIES: readonly string[] = ['blue oak lamp', 'red chair', 'small steel desk', 'green wool rug', 'large vase'];

type Mode = 'on' | 'off';
const MODES: readonly Mode[] = ['on', 'off'];

export interface WarmupSample {
  readonly round: number;
  readonly mode: Mode;
  /** From spawning the process to `/readyz` 200: what warm-up costs. */
  readonly readyAfterMs: number;
  /** Latency of each of the first requests after ready, in the order they were sent. */
  readonly latenciesMs: readonly number[];
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly failed: number;
}

export interface WarmupSummary {
  readonly mode: Mode;
  readonly readyAfterMs: Spread;
  readonly firstRequestMs: Spread;
  readonly medianMs: Spread;
  readonly p99Ms: Spread;
  readonly failed: number;
}

export interface WarmupResult {
  readonly route: string;
  readonly requests: number;
  readonly concurrency: number;
  readonly summaries: readonly WarmupSummary[];
  /** Per round: warm-up off / on. */
  readonly offOverOn: { readonly medianMs: Spread; readonly p99Ms: Spread };
  readonly samples: readonly WarmupSample[];
}

async function measure(mode: Mode, round: number, config: BenchConfig): Promise<WarmupSample> {
  const { requests, concurrency } = config.warmup;
  const { demo, readyAfterMs } = await startReadyDemo({ WARMSCALE_WARMUP_ENABLED: String(mode === 'on') });
  // New connections, as a pod that just joined the Service endpoints gets them.
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const latenciesMs: number[] = new Array(requests);
    let failed = 0;
    // The load balancer sends traffic the moment the pod turns ready: the first requests arrive as one burst.
    await pool(requests, concurrency, async (index) => {
      const query = encodeURIComponent(QUERIES[index % QUERIES.length] as string);
      const startedAt = performance.now();
      const response = await get(`${demo.url}${COLD_ROUTE}?q=${query}`, agent).catch(() => undefined);
      latenciesMs[index] = performance.now() - startedAt;
      if (response?.status !== 200) failed++;
    });
    return {
      round,
      mode,
      readyAfterMs,
      latenciesMs,
      medianMs: median(latenciesMs),
      p99Ms: percentile(latenciesMs, 99),
      failed,
    };
  } finally {
    agent.destroy();
    await demo.stop('SIGKILL');
  }
}

export async function runWarmup(config: BenchConfig, log: (line: string) => void): Promise<WarmupResult> {
  const samples: WarmupSample[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const mode of rotated(MODES, round)) {
      const sample = await measure(mode, round, config);
      samples.push(sample);
      log(
        `warm-up round ${round} ${mode}: ready after ${Math.round(sample.readyAfterMs)} ms, ` +
          `first ${config.warmup.requests} requests median ${sample.medianMs.toFixed(1)} ms, p99 ${sample.p99Ms.toFixed(1)} ms`,
      );
    }
  }
  const of = (mode: Mode) => samples.filter((s) => s.mode === mode);
  return {
    route: COLD_ROUTE,
    requests: config.warmup.requests,
    concurrency: config.warmup.concurrency,
    summaries: MODES.map((mode) => ({
      mode,
      readyAfterMs: spread(of(mode).map((s) => s.readyAfterMs)),
      firstRequestMs: spread(of(mode).map((s) => s.latenciesMs[0] as number)),
      medianMs: spread(of(mode).map((s) => s.medianMs)),
      p99Ms: spread(of(mode).map((s) => s.p99Ms)),
      failed: of(mode).reduce((sum, s) => sum + s.failed, 0),
    })),
    offOverOn: {
      medianMs: spread(perRound(of('off'), of('on'), (off, on) => off.medianMs / on.medianMs)),
      p99Ms: spread(perRound(of('off'), of('on'), (off, on) => off.p99Ms / on.p99Ms)),
    },
    samples,
  };
}
