import type { BenchReport } from './report.js';
import type { Breakdown } from './scenarios/breakdown.js';
import type { OverheadSummary, PairedSummary } from './scenarios/overhead.js';
import { CPU_RATIO_MAX, SCRAPE_MEDIAN_MAX_MS, THROUGHPUT_RATIO_MIN } from './targets.js';

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

function overheadOf(r: BenchReport, variant: OverheadSummary['variant']): OverheadSummary | undefined {
  return r.overhead?.summaries.find((s) => s.variant === variant);
}

function pairedOf(r: BenchReport, variant: OverheadSummary['variant']): PairedSummary | undefined {
  return r.overhead?.pairedSummaries.find((s) => s.variant === variant);
}

function costOf(b: Breakdown, prefix: string): number {
  return b.operations.find((op) => op.name.startsWith(prefix))?.ns ?? 0;
}

function serializationOf(b: Breakdown, prefix: string): { series: number; cpuMs: number } {
  return b.serialization.find((s) => s.name.startsWith(prefix)) ?? { series: 0, cpuMs: 0 };
}

/** How the request path is built, and what each choice measured in this run. */
function requestPath(r: BenchReport): string[] {
  const ours = overheadOf(r, 'warmscale');
  const theirs = overheadOf(r, 'fastify-metrics');
  const traced = overheadOf(r, 'warmscale-traced');
  const paired = pairedOf(r, 'warmscale');
  const noRecycle = pairedOf(r, 'warmscale-no-recycle');
  const pairedTraced = pairedOf(r, 'warmscale-traced');
  const b = r.breakdown;
  if (ours === undefined || theirs === undefined) return [];
  const lines = [
    `- **fastify-metrics for the default metrics only.** Its defaults added ${fixed(theirs.addedCpuUs.median, 1)} µs ` +
      `of CPU per request here (${fixed(theirs.cpuRatio.median, 2)}x bare, ${fixed(theirs.throughputRatio.median, 2)} of ` +
      'its throughput): two timer closures kept in a WeakMap from onRequest to onResponse, a histogram and a summary per ' +
      "request. The middleware registers prom-client's default process metrics through it with its route metrics off, " +
      `and counts requests itself: ${fixed(ours.addedCpuUs.median, 1)} µs per request ` +
      `(${fixed(ours.cpuRatio.median, 2)}x bare, ${fixed(ours.throughputRatio.median, 2)} of its throughput)` +
      (paired === undefined
        ? '.'
        : `; paired with bare Fastify on the same core at the same time, ${fixed(paired.addedCpuUs.median, 1)} µs ` +
          `(${fixed(paired.cpuRatio.median, 2)}x).`),
  ];
  if (b !== undefined) {
    const count = costOf(b, 'request table: count');
    const observe = costOf(b, 'request table: observe');
    const inc = costOf(b, 'for comparison, prom-client `Counter.inc` (');
    const histogram = costOf(b, 'for comparison, prom-client `Histogram.observe`');
    const route = costOf(b, 'route template');
    lines.push(
      `- **A table instead of prom-client calls on the request path.** Each (method, route) resolves once to a record ` +
        `holding its per-status counts and histogram buckets; a response then costs ${fixed(count, 0)} ns to count and ` +
        `${fixed(observe, 0)} ns to observe, where prom-client's \`Counter.inc\` and \`Histogram.observe\` take ` +
        `${fixed(inc, 0)} and ${fixed(histogram, 0)} ns (they hash and validate the label object on every call). Reading ` +
        `the route template (\`request.routeOptions.url\`) costs ${fixed(route, 0)} ns more. The two families are ` +
        'registered in the prom-client registry like its own metrics (`get()`, `reset()`), so `registry.metrics()`, ' +
        '`getMetricsAsJSON()` and cluster aggregation see them unchanged.',
      '- **Hooks.** One `onResponse` hook (plus `onRequestAbort` for clients that leave early). Fastify only installs its ' +
        'per-response `finish`/`error` listeners when a route has an `onResponse` hook or a logger is on, so against the ' +
        '`logger: false` baseline used here, any `onResponse`-based counter pays for them (the hand-written counter hook ' +
        'of the reference figures too); with request logging on, as in most services, Fastify installs them anyway. ' +
        'Connection recycling and draining run before Fastify on the Node server, not as an `onRequest` hook, which would ' +
        'make Fastify run its hook machinery on every request.',
    );
  }
  const counterHook = pairedOf(r, 'counter-hook');
  if (noRecycle !== undefined && counterHook !== undefined) {
    lines.push(
      `- **Against the floor.** One hand-written prom-client counter in an \`onResponse\` hook adds ` +
        `${fixed(counterHook.addedCpuUs.median, 1)} µs (${fixed(counterHook.cpuRatio.median, 2)}x) in the same paired ` +
        `runs; the middleware with recycling off adds ${fixed(noRecycle.addedCpuUs.median, 1)} µs, so its histogram, ` +
        'probes, lifecycle, abort counting and default metrics together cost ' +
        `${fixed(noRecycle.addedCpuUs.median - counterHook.addedCpuUs.median, 1)} µs over the simplest counter.`,
    );
  }
  if (paired !== undefined && noRecycle !== undefined) {
    const recycling = paired.addedCpuUs.median - noRecycle.addedCpuUs.median;
    lines.push(
      `- **Connection recycling** (on by default): with it off, the paired runs add ` +
        `${fixed(noRecycle.addedCpuUs.median, 1)} µs (${fixed(noRecycle.cpuRatio.median, 2)}x), against ` +
        `${fixed(paired.addedCpuUs.median, 1)} µs with it` +
        (recycling > 0
          ? `: the reconnects cost ${fixed(recycling, 1)} µs per request.`
          : ', so its reconnects cost less than this machine can resolve.') +
        ' A reconnect every 1,000 responses or 30 s is what spreads keep-alive clients over the pods an HPA adds ' +
        '(kubernetes#38456).',
    );
  }
  if (traced !== undefined) {
    const added = pairedTraced?.addedCpuUs.median ?? traced.addedCpuUs.median;
    lines.push(
      `- **Exemplars**: the middleware inside an active span adds ${fixed(added, 1)} µs per request to the same Fastify ` +
        "with the same span (`bare-traced`): the counting plus the span lookup; the span itself is the tracing SDK's cost.",
    );
  }
  return lines;
}

/** How `/metrics` is built, and what each part costs. */
function scrapePath(r: BenchReport): string[] {
  const b = r.breakdown;
  const scrape = r.scrape?.summaries.find((s) => s.variant === 'warmscale');
  if (b === undefined || scrape === undefined) return [];
  const counter = serializationOf(b, 'request counter (cached');
  const histogram = serializationOf(b, 'duration histogram (cached');
  const promCounter = serializationOf(b, 'for comparison, the same counter');
  const promHistogram = serializationOf(b, 'for comparison, the same histogram');
  const defaults = serializationOf(b, 'default process metrics');
  const lag = serializationOf(b, 'of which event-loop lag');
  const whole = serializationOf(b, 'whole registry');
  const missed = scrape.medianMs.median > SCRAPE_MEDIAN_MAX_MS;
  return [
    `- **Cached exposition lines.** Each series' label text is escaped and formatted once, when the series appears; a ` +
      `scrape joins cached prefixes and numbers: ${fixed(counter.cpuMs, 2)} ms for the ${counter.series} counter series ` +
      `and ${fixed(histogram.cpuMs, 2)} ms for the ${histogram.series} histogram lines, where prom-client formats the same ` +
      `series from their label objects in ${fixed(promCounter.cpuMs, 2)} and ${fixed(promHistogram.cpuMs, 2)} ms. The ` +
      'output is byte for byte what prom-client prints (a test compares both, in both formats); a registry with default ' +
      "labels goes through prom-client's formatting, which merges them.",
    `- **Scrape: ${fixed(scrape.medianMs.median, 2)} ms median (${fixed(scrape.cpuMs.median, 2)} ms of server CPU)` +
      `${missed ? `, target ${SCRAPE_MEDIAN_MAX_MS} ms: missed` : ''}.** Serializing the whole registry costs ` +
      `${fixed(whole.cpuMs, 2)} ms of CPU; the default process metrics take ${fixed(defaults.cpuMs, 2)} ms of it, of ` +
      `which ${fixed(lag.cpuMs, 2)} ms is prom-client's event-loop lag collector: its standard deviation walks every ` +
      'bucket of a nanosecond HdrHistogram on each scrape. It stays: computing the figures from a JavaScript timer ' +
      'instead makes the scrape cheap but wakes V8 100 times a second on every pod, a cost paid all the time for one ' +
      'paid every scrape interval. The rest of the server CPU per scrape is the HTTP exchange itself: routing, ' +
      `writing the ${fixed(scrape.bodyBytes / 1024, 0)} KiB body and collecting the garbage its strings leave.`,
  ];
}

/** For a missed request-path target: the budget and where it goes. */
function missedRequestTargets(r: BenchReport): string[] {
  const ours = overheadOf(r, 'warmscale');
  const bare = overheadOf(r, 'bare');
  const b = r.breakdown;
  if (ours === undefined || bare === undefined || b === undefined) return [];
  const cpuMissed = ours.cpuRatio.median > CPU_RATIO_MAX;
  const throughputMissed = ours.throughputRatio.median < THROUGHPUT_RATIO_MIN;
  if (!cpuMissed && !throughputMissed) return [];
  const own =
    (costOf(b, 'route template') + costOf(b, 'request table: count') + costOf(b, 'request table: observe')) / 1000;
  const budget = (CPU_RATIO_MAX - 1) * bare.cpuUsPerRequest.median;
  const added = pairedOf(r, 'warmscale')?.addedCpuUs.median ?? ours.addedCpuUs.median;
  return [
    `- **Request path: ${fixed(ours.cpuRatio.median, 2)}x CPU and ${fixed(ours.throughputRatio.median, 2)} of the ` +
      `throughput, targets ${CPU_RATIO_MAX}x and ${THROUGHPUT_RATIO_MIN}.** At bare Fastify's ` +
      `${fixed(bare.cpuUsPerRequest.median, 1)} µs the budget is ${fixed(budget, 1)} µs; the defaults add ` +
      `${fixed(added, 1)} µs (paired runs). The middleware's own code is ${fixed(own, 2)} µs of it (route template, ` +
      'count, observe). The rest is connection recycling (above), what the hooks make Fastify and Node do per request ' +
      "(the response listeners an `onResponse` hook turns on, the abort listener) and prom-client's GC observer. " +
      'Meeting the target would take dropping one of them: counting in `onSend` instead of `onResponse` avoids the ' +
      'listeners but misses the time spent writing the body and hijacked replies, and recycling or the GC histogram ' +
      'are features a user would lose.',
  ];
}

/** The findings section: design choices with this run's figures, and what keeps a missed target out of reach. */
export function findingsSection(r: BenchReport): string {
  const lines = [...requestPath(r), ...scrapePath(r), ...missedRequestTargets(r)];
  if (lines.length === 0) return '';
  return ['## Findings', '', ...lines].join('\n');
}
