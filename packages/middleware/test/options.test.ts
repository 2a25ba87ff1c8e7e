import assert from 'node:assert/strict';
import { test } from 'node:test';
import warmscale, { WarmscaleOptionError, type WarmscaleOptionsInput } from '@warmscale/middleware';
import Fastify from 'fastify';

async function registerWith(options: unknown): Promise<void> {
  const app = Fastify();
  try {
    await app.register(warmscale, options as WarmscaleOptionsInput);
    await app.ready();
  } finally {
    await app.close();
  }
}

const invalid: ReadonlyArray<[string, unknown, string]> = [
  [
    'an unknown top-level key',
    { metric: {} },
    'options.metric is not an option (known: registry, env, metrics, probes, warmup, readiness, shutdown, connections)',
  ],
  [
    'an unknown metrics key',
    { metrics: { pathh: '/m' } },
    'metrics.pathh is not an option (known: path, requestsTotalName, durationName, durationBuckets, defaultMetrics, exemplars, unmatchedRoute, excludeRoutes, countInternal)',
  ],
  [
    'a path without a slash',
    { metrics: { path: 'metrics' } },
    'metrics.path must be a path starting with "/" (got "metrics")',
  ],
  [
    'a path with a query',
    { metrics: { path: '/m?x=1' } },
    'metrics.path must be a path starting with "/" (got "/m?x=1")',
  ],
  [
    'a counter name without _total',
    { metrics: { requestsTotalName: 'requests' } },
    'metrics.requestsTotalName must be a Prometheus metric name ending in "_total" (got "requests")',
  ],
  [
    'an invalid histogram name',
    { metrics: { durationName: 'request-duration' } },
    'metrics.durationName must be a Prometheus metric name (got "request-duration")',
  ],
  [
    'unsorted buckets',
    { metrics: { durationBuckets: [0.1, 0.05] } },
    'metrics.durationBuckets must be false or a non-empty, strictly increasing array of positive seconds (got [0.1, 0.05])',
  ],
  ['a non-boolean flag', { metrics: { exemplars: 'yes' } }, 'metrics.exemplars must be a boolean (got "yes")'],
  [
    'an empty unmatched label',
    { metrics: { unmatchedRoute: '' } },
    'metrics.unmatchedRoute must be a non-empty string (got "")',
  ],
  [
    'a bad excluded route',
    { metrics: { excludeRoutes: ['/ok', 'bad'] } },
    'metrics.excludeRoutes[1] must be a path starting with "/" (got "bad")',
  ],
  [
    'a registry that is not a prom-client Registry',
    { registry: {} },
    "registry must be a prom-client Registry (from the same prom-client copy as @warmscale/middleware's) (got an object)",
  ],
  ['options that are not an object', 42, 'options must be an object (got 42)'],
];

for (const [what, options, message] of invalid) {
  test(`register rejects ${what} with a message naming the option`, async () => {
    await assert.rejects(registerWith(options), (error: unknown) => {
      assert.ok(error instanceof WarmscaleOptionError);
      assert.equal(error.message, message);
      return true;
    });
  });
}

test('register accepts no options at all', async () => {
  await registerWith(undefined);
});
