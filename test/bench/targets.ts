import type { CardinalityResult } from './scenarios/cardinality.js';
import type { OverheadResult } from './scenarios/overhead.js';
import type { ScrapeResult } from './scenarios/scrape.js';

/** One target of the benchmark issue, checked against this run. */
export interface TargetCheck {
  readonly figure: string;
  readonly target: string;
  readonly measured: number;
  readonly met: boolean;
}

export const CPU_RATIO_MAX = 1.05;
export const SCRAPE_MEDIAN_MAX_MS = 2;

/** The middleware's defaults against the targets: CPU per request, scrape time, bounded cardinality. */
export function checkTargets(results: {
  readonly overhead?: OverheadResult;
  readonly scrape?: ScrapeResult;
  readonly cardinality?: CardinalityResult;
}): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const overhead = results.overhead?.summaries.find((s) => s.variant === 'warmscale');
  if (overhead !== undefined) {
    checks.push({
      figure: 'Server CPU per request, middleware defaults / bare Fastify, paired runs (median of per-round ratios)',
      target: `<= ${CPU_RATIO_MAX.toFixed(2)}x`,
      measured: overhead.cpuRatio.median,
      met: overhead.cpuRatio.median <= CPU_RATIO_MAX,
    });
  }
  const scrape = results.scrape?.summaries.find((s) => s.variant === 'warmscale');
  if (scrape !== undefined) {
    checks.push({
      figure: `Scrape median, ${results.scrape?.labelSets} label sets, middleware defaults (ms)`,
      target: `<= ${SCRAPE_MEDIAN_MAX_MS} ms`,
      measured: scrape.medianMs.median,
      met: scrape.medianMs.median <= SCRAPE_MEDIAN_MAX_MS,
    });
  }
  const cardinality = results.cardinality?.summaries.find((s) => s.variant === 'warmscale');
  if (cardinality !== undefined) {
    checks.push({
      figure: `Route label values after ${results.cardinality?.requests} distinct unknown paths`,
      target: `<= ${cardinality.routesBefore + 1} (one unmatched value)`,
      measured: cardinality.routesAfter,
      met: cardinality.bounded,
    });
  }
  return checks;
}
