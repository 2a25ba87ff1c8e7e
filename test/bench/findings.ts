import type { BenchReport } from './report.js';
import type { Breakdown } from './scenarios/breakdown.js';
import type { OverheadSummary } from './scenarios/overhead.js';
import { CPU_RATIO_MAX, SCRAPE_MEDIAN_MAX_MS } from './targets.js';

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

function overheadOf(r: BenchReport, variant: OverheadSummary['variant']): OverheadSummary | undefined {
  return r.overhead?.summaries.find((s) => s.variant === variant);
}

function costOf(b: Breakdown, prefix: string): number {
  return b.operations.find((op) => op.name.startsWith(prefix))?.ns ?? 0;
}

function serializationOf(b: Breakdown, prefix: string): { series: number; cpuMs: number } {
  return b.serialization.find((s) => s.name.startsWith(prefix)) ?? { series: 0, cpuMs: 0 };
}

/** Why the request path is built the way it is, from this run's figures. */
function hotPathChoice(r: BenchReport): string[] {
  const ours = overheadOf(r, 'warmscale');
  const theirs = overheadOf(r, 'fastify-metrics');
  const traced = overheadOf(r, 'warmscale-traced');
  if (ours === undefined || theirs === undefined) return [];
  const lines = [
    `- **The request path is the middleware's own.** fastify-metrics' defaults added ${fixed(theirs.addedCpuUs.median, 1)} µs ` +
      `of CPU per request here (${fixed(theirs.cpuRatio.median, 2)}x bare, ${fixed(theirs.throughputRatio.median, 2)} of its ` +
      'throughput): two timer closures kept in a WeakMap from onRequest to onResponse, a histogram and a summary per ' +
      "request. So the middleware uses fastify-metrics only for what is cheap, registering prom-client's default process " +
      'metrics with its route metrics off, and records each request itself in one onResponse hook (plus one onRequest ' +
      `hook for connection recycling and draining): ${fixed(ours.addedCpuUs.median, 1)} µs per request ` +
      `(${fixed(ours.cpuRatio.median, 2)}x bare, ${fixed(ours.throughputRatio.median, 2)} of its throughput).`,
  ];
  if (traced !== undefined) {
    lines.push(
      `- **Exemplars** cost ${fixed(traced.addedCpuUs.median, 1)} µs per request over the same Fastify with the same span ` +
        "(`bare-traced`): the counter, the histogram and the exemplar; the span itself is the tracing SDK's cost.",
    );
  }
  return lines;
}

/** What the defaults spend per request and per scrape, and what would bring a missed target within reach. */
function missedTargets(r: BenchReport): string[] {
  const b = r.breakdown;
  if (b === undefined) return [];
  const lines: string[] = [];
  const ours = overheadOf(r, 'warmscale');
  const bare = overheadOf(r, 'bare');
  if (ours !== undefined && bare !== undefined && ours.cpuRatio.median > CPU_RATIO_MAX) {
    const counter = costOf(b, 'request counter `inc` (');
    const histogram = costOf(b, 'duration histogram');
    const route = costOf(b, 'route template');
    const span = costOf(b, 'active span lookup, no');
    const clock = costOf(b, 'connection age');
    const listed = (counter + histogram + route + span + clock) / 1000;
    const budget = (CPU_RATIO_MAX - 1) * bare.cpuUsPerRequest.median;
    lines.push(
      `- **CPU per request: ${fixed(ours.cpuRatio.median, 2)}x, target ${CPU_RATIO_MAX}x.** At bare Fastify's ` +
        `${fixed(bare.cpuUsPerRequest.median, 1)} µs the budget is ${fixed(budget, 1)} µs; the defaults add ` +
        `${fixed(ours.addedCpuUs.median, 1)} µs. Of that, prom-client's counter \`inc\` is ${fixed(counter, 0)} ns and ` +
        `the histogram \`observe\` ${fixed(histogram, 0)} ns (each hashes and validates the label object on every call), ` +
        `\`request.routeOptions.url\` ${fixed(route, 0)} ns, the span lookup ${fixed(span, 0)} ns and the connection-age ` +
        `clock ${fixed(clock, 0)} ns: ${fixed(listed, 1)} µs. The remaining ${fixed(Math.max(0, ours.addedCpuUs.median - listed), 1)} µs ` +
        'is Fastify dispatching two more hooks, plus whatever noise the foreign-load column shows. Keeping the ' +
        'counts in a per-route table resolved once (at `onRoute`) and handing them to prom-client in a `collect()` at ' +
        'scrape time would take the two metric calls off the request path.',
    );
  }
  const scrape = r.scrape?.summaries.find((s) => s.variant === 'warmscale');
  if (scrape !== undefined && scrape.medianMs.median > SCRAPE_MEDIAN_MAX_MS) {
    const counter = serializationOf(b, 'request counter');
    const histogram = serializationOf(b, 'duration histogram');
    const defaults = serializationOf(b, 'default process metrics');
    const lag = serializationOf(b, 'of which event-loop lag');
    const whole = serializationOf(b, 'whole registry');
    const perLineUs = ((counter.cpuMs + histogram.cpuMs) * 1000) / Math.max(1, counter.series + histogram.series);
    lines.push(
      `- **Scrape: ${fixed(scrape.medianMs.median, 2)} ms median (${fixed(scrape.cpuMs.median, 2)} ms of server CPU), ` +
        `target ${SCRAPE_MEDIAN_MAX_MS} ms.** Serializing the ` +
        `registry costs ${fixed(whole.cpuMs, 2)} ms of CPU: the request counter ${fixed(counter.cpuMs, 2)} ms for ` +
        `${counter.series} series, the histogram ${fixed(histogram.cpuMs, 2)} ms for ${histogram.series} series ` +
        `(prom-client formats every line from its label object on every scrape, ~${fixed(perLineUs, 1)} µs a line), and ` +
        `the default process metrics ${fixed(defaults.cpuMs, 2)} ms for ${defaults.series} series, of which ` +
        `${fixed(lag.cpuMs, 2)} ms is the event-loop lag collector: its mean and stddev iterate a whole HdrHistogram ` +
        "on every scrape. Formatting each series' line prefix once, when the series first appears, and the event-loop " +
        'figures from percentiles only (as the liveness probe already measures them) would remove most of it.',
    );
  }
  return lines;
}

/** The findings section: design choices and, for each missed target, what costs what. */
export function findingsSection(r: BenchReport): string {
  const lines = [...hotPathChoice(r), ...missedTargets(r)];
  if (lines.length === 0) return '';
  return ['## Findings', '', ...lines].join('\n');
}
