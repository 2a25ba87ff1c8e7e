import { Agent } from 'node:http';
import type { BenchConfig } from '../config.js';
import { leastDisturbed, watchInterference } from '../interference.js';
import { runLoad } from '../load.js';
import { exemplarCount, seriesCount, timedScrapes } from '../metrics-endpoint.js';
import { perRound, rotated } from '../rounds.js';
import { ROUTE_COUNT, STATUSES } from '../routes.js';
import { startServer, VARIANTS, type Variant } from '../server.js';
import { median, percentile, type Spread, spread } from '../stats.js';

/** A server variant and the format it is scraped in. */
interface ScrapeTarget {
  readonly variant: Variant;
  readonly openMetrics: boolean;
}

/** Ours in both formats (OpenMetrics inside spans, so exemplars are present), and fastify-metrics for comparison. */
const TARGETS: readonly ScrapeTarget[] = [
  { variant: 'warmscale', openMetrics: false },
  { variant: 'warmscale-traced', openMetrics: true },
  { variant: 'fastify-metrics', openMetrics: false },
];
const REFERENCE: Variant = 'fastify-metrics';

export interface ScrapeSample {
  readonly round: number;
  readonly variant: Variant;
  readonly openMetrics: boolean;
  readonly medianMs: number;
  readonly p99Ms: number;
  /** Server CPU per scrape. */
  readonly cpuMs: number;
  readonly bodyBytes: number;
  readonly series: number;
  readonly exemplars: number;
  /** CPU the rest of the machine used during the measured scrapes, in cores (see interference.ts). */
  readonly foreignCores: number;
  readonly attempts: number;
}

export interface ScrapeSummary {
  readonly variant: Variant;
  readonly description: string;
  readonly format: 'Prometheus text' | 'OpenMetrics';
  readonly medianMs: Spread;
  readonly p99Ms: Spread;
  readonly cpuMs: Spread;
  readonly bodyBytes: number;
  readonly series: number;
  readonly exemplars: number;
  /** Per round: this row's median scrape time / fastify-metrics' in the same round. */
  readonly ratioToFastifyMetrics: Spread;
  readonly foreignCores: Spread;
}

export interface ScrapeResult {
  readonly labelSets: number;
  readonly requestsPerLabelSet: number;
  readonly scrapes: number;
  readonly samples: readonly ScrapeSample[];
  readonly summaries: readonly ScrapeSummary[];
}

async function measure(
  target: ScrapeTarget,
  round: number,
  config: BenchConfig,
): Promise<Omit<ScrapeSample, 'attempts'>> {
  const { requestsPerLabelSet, scrapes, warmupScrapes } = config.scrape;
  const server = await startServer(target.variant);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const amount = ROUTE_COUNT * STATUSES.length * requestsPerLabelSet;
    await runLoad({ url: server.url, paths: 'routes', connections: 10, amount });
    // The first scrapes compile the serializers; a long-running pod is scraped warm.
    await timedScrapes(server.url, agent, warmupScrapes, target.openMetrics);
    const cpuBefore = server.cpuSeconds();
    const foreignCores = watchInterference(server.cpuSeconds);
    const { durationsMs, body } = await timedScrapes(server.url, agent, scrapes, target.openMetrics);
    return {
      round,
      variant: target.variant,
      openMetrics: target.openMetrics,
      medianMs: median(durationsMs),
      p99Ms: percentile(durationsMs, 99),
      cpuMs: ((server.cpuSeconds() - cpuBefore) * 1000) / scrapes,
      bodyBytes: Buffer.byteLength(body),
      series: seriesCount(body),
      exemplars: exemplarCount(body),
      foreignCores: foreignCores(),
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

function summarize(samples: readonly ScrapeSample[]): ScrapeSummary[] {
  return TARGETS.map((target) => {
    const own = samples.filter((s) => s.variant === target.variant);
    const reference = samples.filter((s) => s.variant === REFERENCE);
    return {
      variant: target.variant,
      description: VARIANTS[target.variant],
      format: target.openMetrics ? 'OpenMetrics' : 'Prometheus text',
      medianMs: spread(own.map((s) => s.medianMs)),
      p99Ms: spread(own.map((s) => s.p99Ms)),
      cpuMs: spread(own.map((s) => s.cpuMs)),
      bodyBytes: median(own.map((s) => s.bodyBytes)),
      series: median(own.map((s) => s.series)),
      exemplars: median(own.map((s) => s.exemplars)),
      ratioToFastifyMetrics: spread(perRound(own, reference, (s, r) => s.medianMs / r.medianMs)),
      foreignCores: spread(own.map((s) => s.foreignCores)),
    };
  });
}

export async function runScrape(config: BenchConfig, log: (line: string) => void): Promise<ScrapeResult> {
  const samples: ScrapeSample[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const target of rotated(TARGETS, round)) {
      const sample = await leastDisturbed(config.quiet, () => measure(target, round, config));
      samples.push(sample);
      log(
        `scrape round ${round} ${target.variant}: median ${sample.medianMs.toFixed(2)} ms, ` +
          `p99 ${sample.p99Ms.toFixed(2)} ms, ${sample.bodyBytes} bytes, ${sample.series} series ` +
          `(foreign load ${sample.foreignCores.toFixed(2)} cores, attempt ${sample.attempts})`,
      );
    }
  }
  return {
    labelSets: ROUTE_COUNT * STATUSES.length,
    requestsPerLabelSet: config.scrape.requestsPerLabelSet,
    scrapes: config.scrape.scrapes,
    samples,
    summaries: summarize(samples),
  };
}
