// What each part of @warmscale/middleware costs, measured in one process pinned to the server core; prints a
// Breakdown as JSON. The overhead scenario gives the total per request; this says where it goes.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import warmscale, { DEFAULT_DURATION_BUCKETS } from '@warmscale/middleware';
import Fastify, { type FastifyRequest } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { seriesCount } from './metrics-endpoint.js';
import { HELLO_PATH, ROUTE_COUNT, routeRequestPath, STATUSES } from './routes.js';
import type { Breakdown, OperationCost, SerializationCost } from './scenarios/breakdown.js';
import { addBenchRoutes } from './servers/serve.js';
import { installTracing } from './servers/tracing.js';
import { median } from './stats.js';

const REQUESTS_PER_LABEL_SET = 20;
/** `--quick` only checks that the breakdown still runs. */
const QUICK = process.argv.includes('--quick');
const LOOP_CALLS = QUICK ? 10_000 : 100_000;
const LOOP_REPEATS = QUICK ? 2 : 7;
const SCRAPES = QUICK ? 10 : 100;

/** Best of several timed loops, in ns per call: the minimum is the run the machine disturbed least. */
function nsPerCall(call: () => void, iterations = LOOP_CALLS, repeats = LOOP_REPEATS): number {
  let best = Number.POSITIVE_INFINITY;
  for (let repeat = 0; repeat < repeats; repeat++) {
    const startedAt = performance.now();
    for (let i = 0; i < iterations; i++) call();
    best = Math.min(best, ((performance.now() - startedAt) * 1e6) / iterations);
  }
  return best;
}

/** Median CPU (all threads) per serialization, each call in its own event-loop turn as real scrapes are. */
async function cpuMsPerCall(call: () => Promise<string>, calls = SCRAPES): Promise<number> {
  for (let i = 0; i < 10; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    await nextTurn();
    const before = process.cpuUsage();
    await call();
    const used = process.cpuUsage(before);
    samples.push((used.user + used.system) / 1000);
  }
  return median(samples);
}

const tracer = installTracing();
const app = Fastify({ logger: false });
await app.register(warmscale);
addBenchRoutes(app);
let sample: FastifyRequest | undefined;
app.addHook('onResponse', (request, _reply, done) => {
  sample ??= request;
  done();
});
await app.ready();
for (let i = 0; i < ROUTE_COUNT * STATUSES.length * REQUESTS_PER_LABEL_SET; i++) await app.inject(routeRequestPath(i));
await app.inject(HELLO_PATH);

const { registry, metrics } = app.warmscale;
const request = sample as FastifyRequest;
const span = tracer.startSpan('GET');
const exemplarLabels = { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId };
let sink = 0;
process.on('exit', () => process.stderr.write(sink === 0 ? 'breakdown: empty sink\n' : ''));

/**
 * The request table behind the two families (request-table.ts). It is not public API; its methods are what the
 * onResponse hook calls, so they are timed here directly.
 */
interface RequestTablePeek {
  series(method: string, route: string): object;
  counter(series: object, status: number): { value: number };
  observe(series: object, seconds: number): void;
}
const table = (metrics.requests as unknown as { table: RequestTablePeek }).table;

/** What the table replaces: prom-client's own counter and histogram with the same labels, in a registry of their own. */
const promClientRegistry = new Registry();
const promCounter = new Counter({
  name: 'httpserver_requests_total',
  help: 'prom-client counter',
  labelNames: ['method', 'route', 'status'],
  registers: [],
  enableExemplars: true,
});
promClientRegistry.registerMetric(promCounter);
const promHistogram = new Histogram({
  name: 'httpserver_request_duration_seconds',
  help: 'prom-client histogram',
  labelNames: ['method', 'route'],
  buckets: [...DEFAULT_DURATION_BUCKETS],
  registers: [promClientRegistry],
});
const labels = { method: 'GET', route: HELLO_PATH, status: '200' };

const operations: OperationCost[] = [
  {
    name: 'route template: `request.routeOptions.url` (Fastify builds an object per call)',
    ns: nsPerCall(() => {
      sink += request.routeOptions.url?.length ?? 0;
    }),
  },
  {
    name: 'request table: count one response (route and status lookups, increment)',
    ns: nsPerCall(() => {
      sink += table.counter(table.series('GET', HELLO_PATH), 200).value++;
    }),
  },
  {
    name: 'request table: observe one duration (lookup, bucket search, sum)',
    ns: nsPerCall(() => {
      table.observe(table.series('GET', HELLO_PATH), 0.0004);
    }),
  },
  {
    name: 'for comparison, prom-client `Counter.inc` (exemplar-enabled form, no exemplar)',
    ns: nsPerCall(() => {
      promCounter.inc({ labels } as never);
    }),
  },
  {
    name: 'for comparison, prom-client `Counter.inc` with a trace exemplar',
    ns: nsPerCall(() => {
      promCounter.inc({ labels, exemplarLabels } as never);
    }),
  },
  {
    name: 'for comparison, prom-client `Histogram.observe`',
    ns: nsPerCall(() => {
      promHistogram.observe({ method: 'GET', route: HELLO_PATH }, 0.0004);
    }),
  },
  {
    name: 'active span lookup, no tracing SDK',
    ns: nsPerCall(() => {
      sink += trace.getActiveSpan() === undefined ? 1 : 0;
    }),
  },
  {
    name: 'active span lookup inside a span',
    ns: context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
      nsPerCall(() => {
        sink += trace.getActiveSpan()?.spanContext().spanId.length ?? 0;
      }),
    ),
  },
  {
    name: 'connection age check: `performance.now()`',
    ns: nsPerCall(() => {
      sink += performance.now();
    }),
  },
];

/** The registry's metrics whose names pass the filter, in a registry of their own, formatted by prom-client. */
function subRegistry(names: (name: string) => boolean): Registry {
  const sub = new Registry();
  for (const { name } of registry.getMetricsAsArray()) {
    const metric = registry.getSingleMetric(name);
    if (metric !== undefined && names(name)) sub.registerMetric(metric);
  }
  return sub;
}

// Copy the traffic into the prom-client pair, so both sides serialize the same 251 counter and 51 histogram series.
for (const sample of (await metrics.requests.get()).values)
  promCounter.inc({ labels: sample.labels, value: sample.value } as never);
for (const series of (await metrics.duration?.get())?.values ?? []) {
  if (series.metricName?.endsWith('_count')) {
    for (let i = 0; i < series.value; i++) promHistogram.observe(series.labels as never, 0.0004);
  }
}

const { requestsTotalName: requestsName, durationName } = app.warmscale.options.metrics;
const ownNames = (name: string) => name === requestsName || name === durationName || name.startsWith('warmscale_');
const isEventLoopLag = (name: string) => name.startsWith('nodejs_eventloop_lag');
const groups: Array<{ name: string; serialize: () => Promise<string> }> = [
  { name: 'request counter (cached lines)', serialize: async () => metrics.requests.expose(false) },
  {
    name: 'duration histogram (cached lines)',
    serialize: async () => metrics.duration?.expose() ?? '',
  },
  {
    name: 'for comparison, the same counter series formatted by prom-client',
    serialize: () => promClientRegistry.getSingleMetricAsString('httpserver_requests_total'),
  },
  {
    name: 'for comparison, the same histogram series formatted by prom-client',
    serialize: () => promClientRegistry.getSingleMetricAsString('httpserver_request_duration_seconds'),
  },
  {
    name: 'lifecycle, warm-up and shutdown metrics',
    serialize: () => subRegistry((name) => name.startsWith('warmscale_')).metrics(),
  },
  { name: 'default process metrics', serialize: () => subRegistry((name) => !ownNames(name)).metrics() },
  {
    name: 'of which event-loop lag (its stddev walks all ~55,000 buckets of an HdrHistogram)',
    serialize: () => subRegistry(isEventLoopLag).metrics(),
  },
  { name: 'whole registry, as `/metrics` serializes it', serialize: () => app.warmscale.metricsText() },
];
const serialization: SerializationCost[] = [];
for (const group of groups) {
  serialization.push({
    name: group.name,
    series: seriesCount(await group.serialize()),
    cpuMs: await cpuMsPerCall(group.serialize),
  });
}

span.end();
// Every loop wrote to `sink`, a module-level variable, so none of them could be optimized away.
const breakdown: Breakdown = {
  loopCalls: LOOP_CALLS,
  loopRepeats: LOOP_REPEATS,
  scrapes: SCRAPES,
  operations,
  serialization,
};
process.stdout.write(JSON.stringify(breakdown));
process.exit(0);
