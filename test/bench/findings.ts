import type { BenchReport } from './report.js';
import type { Breakdown } from './scenarios/breakdown.js';
import type { PairedSummary } from './scenarios/overhead.js';
import type { Variant } from './server.js';
import { CPU_RATIO_MAX, SCRAPE_MEDIAN_MAX_MS } from './targets.js';

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

function pairOf(r: BenchReport, variant: Variant, baseline?: Variant): PairedSummary | undefined {
  return r.overhead?.summaries.find(
    (s) => s.variant === variant && (baseline === undefined ? s.baseline !== s.variant : s.baseline === baseline),
  );
}

function costOf(b: Breakdown, prefix: string): number {
  return b.operations.find((op) => op.name.startsWith(prefix))?.ns ?? 0;
}

function serializationOf(b: Breakdown, prefix: string): { series: number; cpuMs: number } {
  return b.serialization.find((s) => s.name.startsWith(prefix)) ?? { series: 0, cpuMs: 0 };
}

/** `1.20 µs (1.050x, rounds 1.020–1.080)` of a pair. */
function added(p: PairedSummary): string {
  return (
    `${fixed(p.addedCpuUs.median, 2)} µs (${fixed(p.cpuRatio.median, 3)}x, rounds ` +
    `${fixed(p.cpuRatio.min, 3)}–${fixed(p.cpuRatio.max, 3)})`
  );
}

/** True when the rounds of a pair disagree on the sign of the difference: the method cannot tell it from zero. */
function unresolved(p: PairedSummary): boolean {
  return p.cpuRatio.min < 1 && p.cpuRatio.max > 1;
}

/** How the request path is built, and what each choice measured in this run. */
function requestPath(r: BenchReport): string[] {
  const ours = pairOf(r, 'warmscale');
  const lean = pairOf(r, 'warmscale-lean');
  const hook = pairOf(r, 'hook');
  const channel = pairOf(r, 'diagnostics-channel');
  const channelRoute = pairOf(r, 'diagnostics-channel-route');
  const theirs = pairOf(r, 'fastify-metrics');
  if (ours === undefined || lean === undefined || hook === undefined || channel === undefined) return [];
  const control = pairOf(r, 'bare', 'bare');
  const lines = [
    ...(control === undefined
      ? []
      : [
          `- **Resolution.** Two bare-Fastify servers paired with each other differ by ${added(control)}. The ` +
            'other pairs spread further from round to round: now and then one fresh process of a pair runs some 10 to ' +
            '20% slower than its twin for its whole life (the per-round columns show it), so a single round can be ' +
            'off by that much and only the median over rounds is a figure; a part whose rounds disagree on the ' +
            'sign is below what this method resolves.',
        ]),
    `- **Counting at the Node server.** An empty \`onResponse\` hook adds ${added(hook)} to bare Fastify: with one, ` +
      'Fastify installs `finish`/`error` listeners on every response and runs its hook machinery. A ' +
      `\`diagnostics_channel\` subscriber on \`http.server.response.finish\` adds ${added(channel)}` +
      (channelRoute === undefined
        ? ''
        : `, ${added(channelRoute)} with the route template left by each route handler`) +
      '. The middleware counts there: one subscription per server for every response, whoever wrote it (a handler, a ' +
      "hook that replied early, the router's own 400 or 404, a shed 503); the connection's `close` for requests whose " +
      'client left first (499); no listener per request. Its Fastify adapter wraps each route handler (through ' +
      '`onRoute`) to leave the route template, a constant, on the raw request, since `request.routeOptions` builds an ' +
      'object on every read, and keeps one `onRequest` hook that stores a reference, for requests answered before ' +
      "their handler and for `fastify.inject`. Recycling, admission and the request's clock run ahead of Fastify, in " +
      'its request listener.',
    `- **The counter alone** (\`warmscale-lean\`: no default metrics, no histogram, no recycling) adds ${added(lean)}; ` +
      `the defaults add ${added(ours)}` +
      (theirs === undefined ? '.' : `; fastify-metrics' defaults add ${added(theirs)}.`),
  ];
  const parts = (
    [
      ['warmscale-no-recycle', 'connection recycling (a reconnect every 1,000 responses or 30 s)'],
      ['warmscale-no-default-metrics', "prom-client's default process metrics (GC observer, event-loop delay monitor)"],
      ['warmscale-no-histogram', 'the duration histogram'],
      ['warmscale-no-exemplars', 'exemplars (the active-span lookup, no span here)'],
      ['warmscale-no-admission', 'admission control (event-loop guard, in-flight count)'],
    ] as const
  ).flatMap(([variant, part]) => {
    const p = pairOf(r, variant);
    if (p === undefined) return [];
    const saved = `${fixed(-p.addedCpuUs.median, 2)} µs (rounds ${fixed(1 / p.cpuRatio.max, 3)}–${fixed(1 / p.cpuRatio.min, 3)}x)`;
    return [`${part}: ${saved}${unresolved(p) ? ', not resolved' : ''}`];
  });
  if (parts.length > 0) {
    lines.push(
      '- **What each part of the defaults costs** (the defaults beside the defaults without it, as a ratio of the ' +
        `defaults to the defaults without it): ${parts.join('; ')}.`,
    );
  }
  const b = r.breakdown;
  if (b !== undefined) {
    const count = costOf(b, 'request table: count');
    const observe = costOf(b, 'request table: observe');
    const inc = costOf(b, 'for comparison, prom-client `Counter.inc` (');
    const histogram = costOf(b, 'for comparison, prom-client `Histogram.observe`');
    lines.push(
      `- **A table instead of prom-client calls on the request path.** Each (method, route) resolves once to a record ` +
        `holding its per-status counts and histogram buckets; a response then costs ${fixed(count, 0)} ns to count and ` +
        `${fixed(observe, 0)} ns to observe, where prom-client's \`Counter.inc\` and \`Histogram.observe\` take ` +
        `${fixed(inc, 0)} and ${fixed(histogram, 0)} ns (they hash and validate the label object on every call). The ` +
        'two families are registered in the prom-client registry like its own metrics (`get()`, `reset()`), so ' +
        '`registry.metrics()`, `getMetricsAsJSON()` and cluster aggregation see them unchanged.',
    );
  }
  const traced = pairOf(r, 'warmscale-traced');
  if (traced !== undefined) {
    lines.push(
      `- **Exemplars**: inside an active span, beside the same Fastify with the same span (\`bare-traced\`), the ` +
        `middleware with its exemplars measured ${added(traced)}; the span itself is the tracing SDK's cost.`,
    );
  }
  for (const [variant, framework] of [
    ['express-warmscale', 'Express 5'],
    ['http-warmscale', 'A plain node:http listener'],
  ] as const) {
    const p = pairOf(r, variant);
    if (p !== undefined) lines.push(`- **${framework}**: the adapter with its defaults adds ${added(p)}.`);
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

/** For a missed request-path target: the budget, what was tried and what the rest is. */
function missedRequestTargets(r: BenchReport): string[] {
  const ours = pairOf(r, 'warmscale');
  const hook = pairOf(r, 'hook');
  const channel = pairOf(r, 'diagnostics-channel-route');
  if (ours === undefined || ours.cpuRatio.median <= CPU_RATIO_MAX) return [];
  const budget = (CPU_RATIO_MAX - 1) * ours.baselineCpuUsPerRequest.median;
  return [
    `- **Request path: ${fixed(ours.cpuRatio.median, 3)}x CPU, target ${CPU_RATIO_MAX}x: missed.** At bare ` +
      `Fastify's ${fixed(ours.baselineCpuUsPerRequest.median, 2)} µs the budget is ${fixed(budget, 2)} µs; the ` +
      `defaults add ${fixed(ours.addedCpuUs.median, 2)} µs. Tried, and kept: counting at the Node server instead of ` +
      `in Fastify hooks (an empty \`onResponse\` hook alone costs ${hook === undefined ? '?' : added(hook)}, the ` +
      `channel with route templates ${channel === undefined ? '?' : added(channel)}); the route template from ` +
      'wrapped handlers instead of `request.routeOptions` on every request; one clock read per request for ' +
      "recycling, admission and the duration; abort accounting from the connection's `close` instead of a listener " +
      "per request; a request's headers and method noted once, before a framework swaps its prototype; no " +
      'OpenTelemetry span lookup until an SDK registers. Each part of the defaults left (above) is small against ' +
      'the noise of this method; together they hold the remainder.',
  ];
}

/** The findings section: design choices with this run's figures, and what keeps a missed target out of reach. */
export function findingsSection(r: BenchReport): string {
  const lines = [...requestPath(r), ...scrapePath(r), ...missedRequestTargets(r)];
  if (lines.length === 0) return '';
  return ['## Findings', '', ...lines].join('\n');
}
