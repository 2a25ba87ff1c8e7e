import type { BenchConfig } from '../config.js';
import { rotated } from '../rounds.js';
import { HELLO_PATH } from '../routes.js';
import { startServer, type Variant } from '../server.js';
import { type Spread, spread } from '../stats.js';
import { runWrk, type WrkResult } from '../wrk.js';

/** A variant measured beside its baseline. */
export interface Pair {
  readonly variant: Variant;
  readonly baseline: Variant;
}

/** What `npm run bench` measures per request, each beside the server it differs from by one thing. */
export const PAIRS: readonly Pair[] = [
  // The control: two servers that differ by nothing. Its spread is what the method cannot resolve.
  { variant: 'bare', baseline: 'bare' },
  // The floors: what counting can cost at the least, by where it hooks in.
  { variant: 'hook', baseline: 'bare' },
  { variant: 'diagnostics-channel', baseline: 'bare' },
  { variant: 'diagnostics-channel-route', baseline: 'bare' },
  { variant: 'default-metrics', baseline: 'bare' },
  { variant: 'counter-hook', baseline: 'bare' },
  { variant: 'fastify-metrics', baseline: 'bare' },
  // The middleware, its defaults and with nothing but the counter.
  { variant: 'warmscale', baseline: 'bare' },
  { variant: 'warmscale-lean', baseline: 'bare' },
  // Each part of the defaults: the defaults beside the defaults without it.
  { variant: 'warmscale-no-recycle', baseline: 'warmscale' },
  { variant: 'warmscale-no-default-metrics', baseline: 'warmscale' },
  { variant: 'warmscale-no-histogram', baseline: 'warmscale' },
  { variant: 'warmscale-no-exemplars', baseline: 'warmscale' },
  { variant: 'warmscale-no-admission', baseline: 'warmscale' },
  // Exemplars inside a span, against the same span without the middleware.
  { variant: 'warmscale-traced', baseline: 'bare-traced' },
  // The other adapters, each against its bare framework.
  { variant: 'express-warmscale', baseline: 'express-bare' },
  { variant: 'http-warmscale', baseline: 'http-bare' },
];

/** One paired run: a variant and its baseline, loaded at the same time on the server core. */
export interface PairedSample extends Pair {
  readonly round: number;
  readonly cpuUsPerRequest: number;
  readonly baselineCpuUsPerRequest: number;
  readonly requests: number;
  readonly baselineRequests: number;
  /** Non-2xx responses and socket errors of both sides (0 in a valid run). */
  readonly failures: number;
}

export interface PairedSummary extends Pair {
  /** Per round: the variant's CPU per request / its baseline's, measured over the same seconds. */
  readonly cpuRatio: Spread;
  /** Per round: the difference, in µs per request. */
  readonly addedCpuUs: Spread;
  readonly cpuUsPerRequest: Spread;
  readonly baselineCpuUsPerRequest: Spread;
  /** The per-round ratios, in round order. */
  readonly ratios: readonly number[];
  readonly failures: number;
}

export interface OverheadResult {
  readonly connections: number;
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly samples: readonly PairedSample[];
  readonly summaries: readonly PairedSummary[];
}

/**
 * A variant and its baseline, each started fresh for this run, served at the same time, both on the server core, each
 * loaded by its own wrk with half the connections: first for the warm-up (JIT, connection setup, the first GCs), then
 * measured. Whatever the machine does during those seconds (steal, frequency, a neighbour) it does to both, so their
 * CPU per request differs by what the variant adds. Fresh processes every round: one Node process can run a few
 * percent faster or slower than another of the same program for its whole life (code and heap layout), so a server
 * kept across rounds would carry its luck into every round.
 */
async function measurePair(pair: Pair, round: number, config: BenchConfig): Promise<PairedSample> {
  const { connections, durationSec, warmupSec } = config.overhead;
  const servers = await Promise.all([startServer(pair.variant), startServer(pair.baseline)]);
  try {
    const [server, baseline] = servers;
    const half = Math.max(1, Math.floor(connections / 2));
    const both = (seconds: number) =>
      Promise.all(
        servers.map((s) => runWrk({ url: `${s.url}${HELLO_PATH}`, connections: half, durationSec: seconds })),
      ) as Promise<[WrkResult, WrkResult]>;
    await both(warmupSec);
    const before = [server.cpuSeconds(), baseline.cpuSeconds()] as const;
    const [own, base] = await both(durationSec);
    return {
      round,
      ...pair,
      cpuUsPerRequest: ((server.cpuSeconds() - before[0]) * 1e6) / own.requests,
      baselineCpuUsPerRequest: ((baseline.cpuSeconds() - before[1]) * 1e6) / base.requests,
      requests: own.requests,
      baselineRequests: base.requests,
      failures: own.non2xx + own.errors + base.non2xx + base.errors,
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

function summarize(samples: readonly PairedSample[]): PairedSummary[] {
  return PAIRS.map((pair) => {
    const own = samples.filter((s) => s.variant === pair.variant && s.baseline === pair.baseline);
    const ratios = own.map((s) => s.cpuUsPerRequest / s.baselineCpuUsPerRequest);
    return {
      ...pair,
      cpuRatio: spread(ratios),
      addedCpuUs: spread(own.map((s) => s.cpuUsPerRequest - s.baselineCpuUsPerRequest)),
      cpuUsPerRequest: spread(own.map((s) => s.cpuUsPerRequest)),
      baselineCpuUsPerRequest: spread(own.map((s) => s.baselineCpuUsPerRequest)),
      ratios,
      failures: own.reduce((sum, s) => sum + s.failures, 0),
    };
  });
}

/** Every round measures each pair once, in an order that rotates from round to round. */
export async function runOverhead(config: BenchConfig, log: (line: string) => void): Promise<OverheadResult> {
  const samples: PairedSample[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const pair of rotated(PAIRS, round)) {
      const sample = await measurePair(pair, round, config);
      samples.push(sample);
      log(
        `overhead round ${round} ${sample.variant}: ${sample.cpuUsPerRequest.toFixed(2)} µs CPU/req beside ` +
          `${sample.baseline} ${sample.baselineCpuUsPerRequest.toFixed(2)} ` +
          `(${(sample.cpuUsPerRequest / sample.baselineCpuUsPerRequest).toFixed(3)}x)` +
          (sample.failures === 0 ? '' : `, ${sample.failures} failures`),
      );
    }
  }
  const { connections, warmupSec, durationSec } = config.overhead;
  return { connections, warmupSec, durationSec, samples, summaries: summarize(samples) };
}
