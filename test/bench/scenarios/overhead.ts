import type { BenchConfig } from '../config.js';
import { leastDisturbed, watchInterference } from '../interference.js';
import { runLoad } from '../load.js';
import { perRound, rotated } from '../rounds.js';
import { type BenchServer, startServer, VARIANTS, type Variant } from '../server.js';
import { type Spread, spread } from '../stats.js';

/** One variant in one round. */
export interface OverheadSample {
  readonly round: number;
  readonly variant: Variant;
  readonly requestsPerSec: number;
  /** Server CPU (user + system) over the measured run, per response. */
  readonly cpuUsPerRequest: number;
  readonly latencyP99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  /** Connections the server ended with `Connection: close` (connection recycling), after which the client reconnected. */
  readonly closedByServer: number;
  /** CPU the rest of the machine used during the measured run, in cores (see interference.ts). */
  readonly foreignCores: number;
  /** Runs it took to get a sample the rest of the machine left alone (or the least disturbed one). */
  readonly attempts: number;
}

export interface OverheadSummary {
  readonly variant: Variant;
  readonly description: string;
  readonly requestsPerSec: Spread;
  readonly cpuUsPerRequest: Spread;
  readonly latencyP99Ms: Spread;
  /** Per round: this variant's throughput / bare Fastify's in the same round. */
  readonly throughputRatio: Spread;
  /** Per round: this variant's CPU per request / bare Fastify's in the same round. */
  readonly cpuRatio: Spread;
  /** The variant this row's added cost is measured against (bare, or bare inside a span for the traced row). */
  readonly baseline: Variant;
  /** Per round: CPU µs per request above the baseline's. */
  readonly addedCpuUs: Spread;
  readonly errors: number;
  readonly non2xx: number;
  readonly closedByServer: number;
}

export interface OverheadResult {
  readonly connections: number;
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly samples: readonly OverheadSample[];
  readonly summaries: readonly OverheadSummary[];
}

const ORDER: readonly Variant[] = ['bare', 'warmscale', 'fastify-metrics', 'warmscale-traced', 'bare-traced'];
const BASELINE: Readonly<Record<Variant, Variant>> = {
  bare: 'bare',
  warmscale: 'bare',
  'fastify-metrics': 'bare',
  'warmscale-traced': 'bare-traced',
  'bare-traced': 'bare',
};

/** One measured run against a server that is already warm. */
async function measureOnce(
  server: BenchServer,
  round: number,
  config: BenchConfig,
): Promise<Omit<OverheadSample, 'attempts'>> {
  const { connections, durationSec } = config.overhead;
  const cpuBefore = server.cpuSeconds();
  const foreignCores = watchInterference(server.cpuSeconds);
  const load = await runLoad({ url: server.url, paths: 'hello', connections, durationSec });
  const cpu = server.cpuSeconds() - cpuBefore;
  return {
    round,
    variant: server.variant,
    requestsPerSec: load.requestsPerSec,
    cpuUsPerRequest: (cpu * 1e6) / load.requests,
    latencyP99Ms: load.latencyP99Ms,
    errors: load.errors,
    non2xx: load.non2xx,
    closedByServer: load.closedByServer,
    foreignCores: foreignCores(),
  };
}

function summarize(samples: readonly OverheadSample[]): OverheadSummary[] {
  const of = (variant: Variant) => samples.filter((s) => s.variant === variant);
  const bare = of('bare');
  return ORDER.map((variant) => {
    const own = of(variant);
    const baseline = BASELINE[variant];
    return {
      variant,
      description: VARIANTS[variant],
      requestsPerSec: spread(own.map((s) => s.requestsPerSec)),
      cpuUsPerRequest: spread(own.map((s) => s.cpuUsPerRequest)),
      latencyP99Ms: spread(own.map((s) => s.latencyP99Ms)),
      throughputRatio: spread(perRound(own, bare, (o, b) => o.requestsPerSec / b.requestsPerSec)),
      cpuRatio: spread(perRound(own, bare, (o, b) => o.cpuUsPerRequest / b.cpuUsPerRequest)),
      baseline,
      addedCpuUs: spread(perRound(own, of(baseline), (o, b) => o.cpuUsPerRequest - b.cpuUsPerRequest)),
      errors: own.reduce((sum, s) => sum + s.errors, 0),
      non2xx: own.reduce((sum, s) => sum + s.non2xx, 0),
      closedByServer: own.reduce((sum, s) => sum + s.closedByServer, 0),
    };
  });
}

/**
 * Starts every variant once and keeps it for all rounds, as a pod serves for hours: short runs, interleaved across
 * the variants round after round, put each variant's runs right next to bare Fastify's, so a burst of noise on a
 * shared machine lands on a few runs of every variant instead of on all runs of one.
 */
export async function runOverhead(config: BenchConfig, log: (line: string) => void): Promise<OverheadResult> {
  const { connections, warmupSec } = config.overhead;
  const servers = new Map<Variant, BenchServer>();
  try {
    for (const variant of ORDER) {
      const server = await startServer(variant);
      servers.set(variant, server);
      // JIT, connection setup and the first GCs belong to the warm-up, not to the figures.
      await runLoad({ url: server.url, paths: 'hello', connections, durationSec: warmupSec });
    }
    const samples: OverheadSample[] = [];
    for (let round = 1; round <= config.rounds; round++) {
      for (const variant of rotated(ORDER, round)) {
        const server = servers.get(variant) as BenchServer;
        const sample = await leastDisturbed(config.quiet, () => measureOnce(server, round, config));
        samples.push(sample);
        log(
          `overhead round ${round} ${variant}: ${Math.round(sample.requestsPerSec)} req/s, ` +
            `${sample.cpuUsPerRequest.toFixed(1)} µs CPU/req (foreign load ${sample.foreignCores.toFixed(2)} cores, ` +
            `attempt ${sample.attempts})`,
        );
      }
    }
    return { ...config.overhead, samples, summaries: summarize(samples) };
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
}
