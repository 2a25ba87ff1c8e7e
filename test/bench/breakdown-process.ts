// What each part of @warmscale/middleware costs, measured in one process pinned to the server core; prints a
// Breakdown as JSON. The overhead scenario gives the total per request; this says where it goes.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import warmscale from '@warmscale/middleware';
import Fastify, { type FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
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
const labels = { method: 'GET', route: HELLO_PATH, status: '200' };
const span = tracer.startSpan('GET');
const exemplarLabels = { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId };
let sink = 0;
process.on('exit', () => process.stderr.write(sink === 0 ? 'breakdown: empty sink\n' : ''));

const operations: OperationCost[] = [
  {
    name: 'route template: `request.routeOptions.url` (Fastify builds an object per call)',
    ns: nsPerCall(() => {
      sink += request.routeOptions.url?.length ?? 0;
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
    name: 'request counter `inc` (prom-client, exemplar-enabled form, no exemplar)',
    ns: nsPerCall(() => {
      metrics.requests.inc({ labels } as never);
    }),
  },
  {
    name: 'request counter `inc` with a trace exemplar',
    ns: nsPerCall(() => {
      metrics.requests.inc({ labels, exemplarLabels } as never);
    }),
  },
  {
    name: 'duration histogram `observe` (prom-client)',
    ns: nsPerCall(() => {
      metrics.duration?.observe({ method: 'GET', route: HELLO_PATH }, 0.0004);
    }),
  },
  {
    name: 'connection age check: `performance.now()`',
    ns: nsPerCall(() => {
      sink += performance.now();
    }),
  },
];

function subRegistry(names: (name: string) => boolean): Registry {
  const sub = new Registry();
  for (const { name } of registry.getMetricsAsArray()) {
    const metric = registry.getSingleMetric(name);
    if (metric !== undefined && names(name)) sub.registerMetric(metric);
  }
  return sub;
}

const { requestsTotalName: requestsName, durationName } = app.warmscale.options.metrics;
const ownNames = (name: string) => name === requestsName || name === durationName || name.startsWith('warmscale_');
const groups: Array<{ name: string; registry: Registry }> = [
  { name: 'request counter', registry: subRegistry((name) => name === requestsName) },
  { name: 'duration histogram', registry: subRegistry((name) => name === durationName) },
  { name: 'lifecycle, warm-up and shutdown metrics', registry: subRegistry((name) => name.startsWith('warmscale_')) },
  { name: 'default process metrics (prom-client)', registry: subRegistry((name) => !ownNames(name)) },
  {
    name: 'of which event-loop lag (its mean and stddev walk a whole HdrHistogram)',
    registry: subRegistry((name) => name.startsWith('nodejs_eventloop_lag')),
  },
  { name: 'whole registry (what `/metrics` serializes)', registry },
];
const serialization: SerializationCost[] = [];
for (const group of groups) {
  serialization.push({
    name: group.name,
    series: seriesCount(await group.registry.metrics()),
    cpuMs: await cpuMsPerCall(() => group.registry.metrics()),
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
