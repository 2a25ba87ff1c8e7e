import { Agent } from 'node:http';
import type { BenchConfig } from '../config.js';
import { runLoad } from '../load.js';
import { routeLabelValues, scrape, seriesCount, timedScrapes } from '../metrics-endpoint.js';
import { perRound, rotated } from '../rounds.js';
import { startServer, VARIANTS, type Variant } from '../server.js';
import { median, type Spread, spread } from '../stats.js';

const ATTACKED: readonly Variant[] = ['warmscale', 'fastify-metrics'];

/** `attack`: distinct random unknown paths; `control`: as many requests to one known route. */
type Kind = 'attack' | 'control';

export interface CardinalitySample {
  readonly round: number;
  readonly variant: Variant;
  readonly kind: Kind;
  readonly seriesBefore: number;
  readonly seriesAfter: number;
  readonly routesBefore: number;
  readonly routesAfter: number;
  readonly rssGrowthMB: number;
  readonly scrapeMedianMs: number;
  readonly bodyBytesAfter: number;
}

export interface CardinalitySummary {
  readonly variant: Variant;
  readonly description: string;
  readonly seriesBefore: number;
  readonly seriesAfter: number;
  readonly routesBefore: number;
  readonly routesAfter: number;
  /** The route label gained at most one value (the unmatched one) in every round. */
  readonly bounded: boolean;
  readonly rssGrowthAttackMB: Spread;
  readonly rssGrowthControlMB: Spread;
  /** Per round: attack growth minus control growth. */
  readonly rssGrowthOverControlMB: Spread;
  readonly scrapeMedianAfterAttackMs: Spread;
  readonly bodyBytesAfterAttack: number;
}

export interface CardinalityResult {
  readonly requests: number;
  readonly samples: readonly CardinalitySample[];
  readonly summaries: readonly CardinalitySummary[];
}

const MB = 1024 * 1024;

async function measure(variant: Variant, kind: Kind, round: number, config: BenchConfig): Promise<CardinalitySample> {
  const { warmupRequests, requests, connections, scrapes } = config.cardinality;
  const server = await startServer(variant);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // Known traffic first, so both runs start from a process that has served and allocated for real.
    await runLoad({ url: server.url, paths: 'hello', connections, amount: warmupRequests });
    const before = await scrape(server.url, agent, false);
    const rssBefore = server.rssBytes();
    await runLoad({ url: server.url, paths: kind === 'attack' ? 'unknown' : 'hello', connections, amount: requests });
    const rssAfter = server.rssBytes();
    const { durationsMs, body } = await timedScrapes(server.url, agent, scrapes, false);
    return {
      round,
      variant,
      kind,
      seriesBefore: seriesCount(before),
      seriesAfter: seriesCount(body),
      routesBefore: routeLabelValues(before),
      routesAfter: routeLabelValues(body),
      rssGrowthMB: (rssAfter - rssBefore) / MB,
      scrapeMedianMs: median(durationsMs),
      bodyBytesAfter: Buffer.byteLength(body),
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

function summarize(samples: readonly CardinalitySample[]): CardinalitySummary[] {
  return ATTACKED.map((variant) => {
    const attack = samples.filter((s) => s.variant === variant && s.kind === 'attack');
    const control = samples.filter((s) => s.variant === variant && s.kind === 'control');
    return {
      variant,
      description: VARIANTS[variant],
      seriesBefore: median(attack.map((s) => s.seriesBefore)),
      seriesAfter: median(attack.map((s) => s.seriesAfter)),
      routesBefore: median(attack.map((s) => s.routesBefore)),
      routesAfter: median(attack.map((s) => s.routesAfter)),
      bounded: attack.every((s) => s.routesAfter - s.routesBefore <= 1),
      rssGrowthAttackMB: spread(attack.map((s) => s.rssGrowthMB)),
      rssGrowthControlMB: spread(control.map((s) => s.rssGrowthMB)),
      rssGrowthOverControlMB: spread(perRound(attack, control, (a, c) => a.rssGrowthMB - c.rssGrowthMB)),
      scrapeMedianAfterAttackMs: spread(attack.map((s) => s.scrapeMedianMs)),
      bodyBytesAfterAttack: median(attack.map((s) => s.bodyBytesAfter)),
    };
  });
}

export async function runCardinality(config: BenchConfig, log: (line: string) => void): Promise<CardinalityResult> {
  const runs = ATTACKED.flatMap((variant) => (['attack', 'control'] as const).map((kind) => ({ variant, kind })));
  const samples: CardinalitySample[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const { variant, kind } of rotated(runs, round)) {
      const sample = await measure(variant, kind, round, config);
      samples.push(sample);
      log(
        `cardinality round ${round} ${variant} ${kind}: series ${sample.seriesBefore} -> ${sample.seriesAfter}, ` +
          `RSS +${sample.rssGrowthMB.toFixed(1)} MB, scrape ${sample.scrapeMedianMs.toFixed(2)} ms`,
      );
    }
  }
  return { requests: config.cardinality.requests, samples, summaries: summarize(samples) };
}
