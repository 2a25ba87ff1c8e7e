import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import warmscale, {
  envName,
  SETTING_LIST,
  WarmscaleOptionError,
  type WarmscaleOptionsInput,
} from '@warmscale/middleware';
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
    'options.metric is not an option (known: registry, env, metrics, probes, warmup, readiness, shutdown, connections, admission)',
  ],
  [
    'an unknown metrics key',
    { metrics: { pathh: '/m' } },
    'metrics.pathh is not an option (known: path, port, host, requestsTotalName, durationName, durationBuckets, defaultMetrics, exemplars, unmatchedRoute, excludeRoutes, countInternal)',
  ],
  [
    'a path without a slash',
    { metrics: { path: 'metrics' } },
    'metrics.path must be a path starting with "/", without "?", "#", "*" or ":" (got "metrics")',
  ],
  [
    'a path with a query',
    { metrics: { path: '/m?x=1' } },
    'metrics.path must be a path starting with "/", without "?", "#", "*" or ":" (got "/m?x=1")',
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
    'metrics.excludeRoutes[1] must be a route template starting with "/" (got "bad")',
  ],
  [
    'a registry that is not a prom-client Registry',
    { registry: {} },
    "registry must be a prom-client Registry (from the same prom-client copy as @warmscale/middleware's) (got an object)",
  ],
  ['options that are not an object', 42, 'options must be an object (got 42)'],
  [
    'a shutdown timeout setTimeout cannot hold (regression: it exited 6 ms after shutdown started)',
    { shutdown: { timeoutMs: 3e9 } },
    'shutdown.timeoutMs must be an integer from 1 to 3600000 (got 3000000000)',
  ],
  [
    'a warm-up budget setTimeout cannot hold (regression: warm-up failed at once)',
    { warmup: { budgetMs: 3e9 } },
    'warmup.budgetMs must be an integer from 1 to 3600000 (got 3000000000)',
  ],
  [
    "a histogram named as the counter's OpenMetrics family (regression: a duplicate family parsers reject)",
    { metrics: { durationName: 'httpserver_requests' } },
    'metrics.durationName must differ from metrics.requestsTotalName and its family name "httpserver_requests" (got "httpserver_requests")',
  ],
  [
    'a probe path with a wildcard (regression: it swallowed unmatched requests)',
    { probes: { livenessPath: '/*' } },
    'probes.livenessPath must be a path starting with "/", without "?", "#", "*" or ":" (got "/*")',
  ],
  [
    'a probe path with a parameter (regression: it swallowed unmatched requests)',
    { probes: { readinessPath: '/:id' } },
    'probes.readinessPath must be a path starting with "/", without "?", "#", "*" or ":" (got "/:id")',
  ],
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

describe('settings from WARMSCALE_* variables', () => {
  const resolved = async (input: WarmscaleOptionsInput) => {
    const app = Fastify();
    try {
      await app.register(warmscale, input);
      await app.ready();
      return app.warmscale.options;
    } finally {
      await app.close();
    }
  };

  test('each variable sets its option; options passed in code win', async () => {
    const options = await resolved({
      env: {
        WARMSCALE_SHUTDOWN_DELAY_MS: '7000',
        WARMSCALE_SHUTDOWN_TIMEOUT_MS: '30000',
        WARMSCALE_CONNECTIONS_MAX_REQUESTS: '50',
        WARMSCALE_WARMUP_ENABLED: 'false',
        WARMSCALE_METRICS_DURATION_BUCKETS: '0.1, 0.5,2',
        WARMSCALE_METRICS_EXCLUDE_ROUTES: '/internal,/admin/:id',
        WARMSCALE_SHUTDOWN_SIGNALS: 'SIGTERM',
        WARMSCALE_PROBES_PORT: '0',
        WARMSCALE_SHUTDOWN_GRACE_PERIOD_SECONDS: '',
        PATH: '/bin',
      },
      connections: { maxRequests: 10 },
    });
    assert.equal(options.shutdown.delayMs, 7000);
    assert.equal(options.shutdown.timeoutMs, 30000);
    assert.equal(options.shutdown.drainTimeoutMs, 10000);
    assert.equal(options.shutdown.gracePeriodSeconds, undefined);
    assert.deepEqual(options.shutdown.signals, ['SIGTERM']);
    assert.equal(options.connections.maxRequests, 10);
    assert.equal(options.warmup.enabled, false);
    assert.deepEqual(options.metrics.durationBuckets, [0.1, 0.5, 2]);
    assert.deepEqual(options.metrics.excludeRoutes, ['/internal', '/admin/:id']);
    assert.equal(options.probes.port, 0);
  });

  test('variable names follow mechanically from the option paths', () => {
    assert.equal(envName('shutdown.delayMs'), 'WARMSCALE_SHUTDOWN_DELAY_MS');
    assert.equal(envName('connections.maxRequests'), 'WARMSCALE_CONNECTIONS_MAX_REQUESTS');
    assert.equal(envName('warmup.enabled'), 'WARMSCALE_WARMUP_ENABLED');
    assert.equal(envName('shutdown.preStopSleepSeconds'), 'WARMSCALE_SHUTDOWN_PRE_STOP_SLEEP_SECONDS');
    assert.deepEqual(
      SETTING_LIST.map((setting) => setting.env),
      SETTING_LIST.map((setting) => envName(setting.path)),
    );
  });

  const invalidEnv: ReadonlyArray<[string, Record<string, string>, string]> = [
    [
      'a non-integer duration',
      { WARMSCALE_SHUTDOWN_DELAY_MS: '5s' },
      'WARMSCALE_SHUTDOWN_DELAY_MS must be an integer from 0 to 3600000 (got "5s")',
    ],
    [
      'a duration above its bound',
      { WARMSCALE_WARMUP_BUDGET_MS: '3600001' },
      'WARMSCALE_WARMUP_BUDGET_MS must be an integer from 1 to 3600000 (got 3600001)',
    ],
    [
      'a boolean spelled otherwise',
      { WARMSCALE_WARMUP_ENABLED: 'on' },
      'WARMSCALE_WARMUP_ENABLED must be a boolean (got "on")',
    ],
    [
      'an unknown signal',
      { WARMSCALE_SHUTDOWN_SIGNALS: 'SIGTERM,SIGKILL' },
      'WARMSCALE_SHUTDOWN_SIGNALS must be an array of SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR2 (got ["SIGTERM", "SIGKILL"])',
    ],
    [
      'unsorted buckets',
      { WARMSCALE_METRICS_DURATION_BUCKETS: '1,0.5' },
      'WARMSCALE_METRICS_DURATION_BUCKETS must be false or a non-empty, strictly increasing array of positive seconds (got [1, 0.5])',
    ],
    [
      'a relation broken by variables',
      { WARMSCALE_SHUTDOWN_DELAY_MS: '15000' },
      'WARMSCALE_SHUTDOWN_DELAY_MS + shutdown.drainTimeoutMs must be <= shutdown.timeoutMs (got 15000 + 10000 > 20000)',
    ],
    [
      'a misspelt variable',
      { WARMSCALE_SHUTDOWN_DELAY: '1000' },
      `WARMSCALE_SHUTDOWN_DELAY is not a warmscale setting (known: ${SETTING_LIST.map((s) => s.env).join(', ')})`,
    ],
  ];
  for (const [what, env, message] of invalidEnv) {
    test(`start-up fails on ${what}, naming the variable`, async () => {
      await assert.rejects(resolved({ env }), (error: unknown) => {
        assert.ok(error instanceof WarmscaleOptionError);
        assert.equal(error.message, message);
        return true;
      });
    });
  }
});
