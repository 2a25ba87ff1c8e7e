import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import warmscale, {
  envName,
  SETTING_LIST,
  WarmscaleOptionError,
  type WarmscaleOptionsInput,
} from '@warmscale/middleware';
import Fastify from 'fastify';

/** Registers with `options` and no `WARMSCALE_*` variable, so the shell running the tests cannot change a case. */
async function registerWith(options: unknown): Promise<void> {
  const app = Fastify();
  const input =
    typeof options === 'object' && options !== null && !('env' in options) ? { env: {}, ...options } : options;
  try {
    await app.register(warmscale, input as WarmscaleOptionsInput);
    await app.ready();
  } finally {
    await app.close();
  }
}

const noop = async (): Promise<void> => {};

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
    'a readiness check without a name (regression: accepted silently as "")',
    { readiness: { checks: [{ check: () => {} }] } },
    'readiness.checks[0].name must be a non-empty string (got undefined)',
  ],
  [
    'a function warm-up step without a name (regression: accepted silently as "")',
    { warmup: { steps: [{ run: () => {} }] } },
    'warmup.steps[0].name must be a non-empty string (got undefined)',
  ],
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
  [
    "the README's example: a delay and a drain that do not fit the shutdown timeout",
    { shutdown: { delayMs: 15_000 } },
    'shutdown.delayMs + shutdown.drainTimeoutMs must be <= shutdown.timeoutMs (got 15000 + 10000 > 20000)',
  ],
  [
    'a drain timeout that does not fit the shutdown timeout after the delay',
    { shutdown: { drainTimeoutMs: 25_000 } },
    'shutdown.delayMs + shutdown.drainTimeoutMs must be <= shutdown.timeoutMs (got 5000 + 25000 > 20000)',
  ],
  [
    'a shutdown delay longer than the shutdown timeout',
    { shutdown: { delayMs: 30_000, drainTimeoutMs: 0 } },
    'shutdown.delayMs must be <= shutdown.timeoutMs (got 30000 > 20000)',
  ],
  [
    'an unknown shutdown key',
    { shutdown: { delay: 1000 } },
    'shutdown.delay is not an option (known: signals, delayMs, drainTimeoutMs, timeoutMs, preStopSleepSeconds, gracePeriodSeconds, exit)',
  ],
  [
    'a signal that cannot be handled',
    { shutdown: { signals: ['SIGTERM', 'SIGKILL'] } },
    'shutdown.signals must be an array of SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR2 (got ["SIGTERM", "SIGKILL"])',
  ],
  [
    'a signal that is not in an array',
    { shutdown: { signals: 'SIGTERM' } },
    'shutdown.signals must be an array of SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR2 (got "SIGTERM")',
  ],
  [
    'a negative shutdown delay',
    { shutdown: { delayMs: -1 } },
    'shutdown.delayMs must be an integer from 0 to 3600000 (got -1)',
  ],
  [
    'a fractional drain timeout',
    { shutdown: { drainTimeoutMs: 1.5 } },
    'shutdown.drainTimeoutMs must be an integer from 0 to 3600000 (got 1.5)',
  ],
  [
    'a zero shutdown timeout',
    { shutdown: { timeoutMs: 0 } },
    'shutdown.timeoutMs must be an integer from 1 to 3600000 (got 0)',
  ],
  [
    'a preStop sleep given as a string',
    { shutdown: { preStopSleepSeconds: '5' } },
    'shutdown.preStopSleepSeconds must be an integer from 0 to 3600 (got "5")',
  ],
  [
    'a grace period above a day',
    { shutdown: { gracePeriodSeconds: 86_401 } },
    'shutdown.gracePeriodSeconds must be an integer from 0 to 86400 (got 86401)',
  ],
  ['an exit that is not a function', { shutdown: { exit: 1 } }, 'shutdown.exit must be a function (got 1)'],
  [
    'an unknown probes key',
    { probes: { startup: '/s' } },
    'probes.startup is not an option (known: startupPath, readinessPath, livenessPath, port, host, maxEventLoopDelayMs)',
  ],
  [
    'a probe port above 65535',
    { probes: { port: 70_000 } },
    'probes.port must be an integer from 0 to 65535 (got 70000)',
  ],
  ['an empty probe host', { probes: { host: '' } }, 'probes.host must be a non-empty string (got "")'],
  [
    'a negative event-loop delay limit',
    { probes: { maxEventLoopDelayMs: -1 } },
    'probes.maxEventLoopDelayMs must be an integer from 0 to 3600000 (got -1)',
  ],
  [
    'two probes on one path',
    { probes: { readinessPath: '/livez' } },
    'probe and metrics paths must differ ("/livez" is used twice)',
  ],
  [
    'a probe on the metrics path',
    { probes: { startupPath: '/metrics' } },
    'probe and metrics paths must differ ("/metrics" is used twice)',
  ],
  [
    'an unknown warmup key',
    { warmup: { budget: 1000 } },
    'warmup.budget is not an option (known: enabled, budgetMs, steps)',
  ],
  ['a non-boolean warmup.enabled', { warmup: { enabled: 'yes' } }, 'warmup.enabled must be a boolean (got "yes")'],
  [
    'a zero warm-up budget',
    { warmup: { budgetMs: 0 } },
    'warmup.budgetMs must be an integer from 1 to 3600000 (got 0)',
  ],
  ['warm-up steps that are not an array', { warmup: { steps: {} } }, 'warmup.steps must be an array (got an object)'],
  [
    'a warm-up step that is not an object',
    { warmup: { steps: [null] } },
    'warmup.steps[0] must be an object with `inject` or `run` (got null)',
  ],
  [
    'a function step whose run is not a function',
    { warmup: { steps: [{ name: 'prime', run: 'prime()' }] } },
    'warmup.steps[0].run must be a function (got "prime()")',
  ],
  [
    'a step with neither inject nor run',
    { warmup: { steps: [{ name: 'prime' }] } },
    'warmup.steps[0].inject must be an object (got undefined)',
  ],
  [
    'an unknown warm-up step key',
    { warmup: { steps: [{ inject: { url: '/' }, retries: 2 }] } },
    'warmup.steps[0].retries is not an option (known: name, inject, times, concurrency, expectStatus, transport, timeoutMs, critical)',
  ],
  [
    'an unknown inject key',
    { warmup: { steps: [{ inject: { url: '/', body: 'x' } }] } },
    'warmup.steps[0].inject.body is not an option (known: method, url, headers, payload)',
  ],
  [
    'an unknown HTTP method',
    { warmup: { steps: [{ inject: { method: 'FETCH', url: '/' } }] } },
    'warmup.steps[0].inject.method must be one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS (got "FETCH")',
  ],
  [
    'a warm-up URL without a slash',
    { warmup: { steps: [{ inject: { url: 'users' } }] } },
    'warmup.steps[0].inject.url must be a path starting with "/" (got "users")',
  ],
  [
    'warm-up headers that are not an object',
    { warmup: { steps: [{ inject: { url: '/', headers: 'x-a: 1' } }] } },
    'warmup.steps[0].inject.headers must be an object of header strings (got "x-a: 1")',
  ],
  [
    'zero repetitions',
    { warmup: { steps: [{ inject: { url: '/' }, times: 0 }] } },
    'warmup.steps[0].times must be an integer from 1 (got 0)',
  ],
  [
    'a fractional concurrency',
    { warmup: { steps: [{ inject: { url: '/' }, concurrency: 1.5 }] } },
    'warmup.steps[0].concurrency must be an integer from 1 (got 1.5)',
  ],
  [
    'an empty list of expected statuses',
    { warmup: { steps: [{ inject: { url: '/' }, expectStatus: [] }] } },
    'warmup.steps[0].expectStatus must be an HTTP status or a non-empty array of them (got [])',
  ],
  [
    'an expected status that is no HTTP status',
    { warmup: { steps: [{ inject: { url: '/' }, expectStatus: [200, 600] }] } },
    'warmup.steps[0].expectStatus must be an HTTP status or a non-empty array of them (got [200, 600])',
  ],
  [
    'an unknown transport',
    { warmup: { steps: [{ inject: { url: '/' }, transport: 'http' }] } },
    'warmup.steps[0].transport must be "inject" or "loopback" (got "http")',
  ],
  [
    'a zero step timeout',
    { warmup: { steps: [{ inject: { url: '/' }, timeoutMs: 0 }] } },
    'warmup.steps[0].timeoutMs must be an integer from 1 (got 0)',
  ],
  [
    'a non-boolean critical flag on a step',
    { warmup: { steps: [{ name: 'prime', run: noop, critical: 'no' }] } },
    'warmup.steps[0].critical must be a boolean (got "no")',
  ],
  [
    'an empty step name',
    { warmup: { steps: [{ name: '', inject: { url: '/' } }] } },
    'warmup.steps[0].name must be a non-empty string (got "")',
  ],
  ['an unknown readiness key', { readiness: { check: [] } }, 'readiness.check is not an option (known: checks)'],
  [
    'readiness checks that are not an array',
    { readiness: { checks: {} } },
    'readiness.checks must be an array (got an object)',
  ],
  [
    'a readiness check that is not an object',
    { readiness: { checks: [5] } },
    'readiness.checks[0] must be an object (got 5)',
  ],
  [
    'an unknown readiness check key',
    { readiness: { checks: [{ name: 'db', check: noop, timeout: 500 }] } },
    'readiness.checks[0].timeout is not an option (known: name, check, timeoutMs, ttlMs, critical)',
  ],
  [
    'a readiness check without its function',
    { readiness: { checks: [{ name: 'db' }] } },
    'readiness.checks[0].check must be a function (got undefined)',
  ],
  [
    'a readiness check with an empty name',
    { readiness: { checks: [{ name: '', check: noop }] } },
    'readiness.checks[0].name must be a non-empty string (got "")',
  ],
  [
    'a zero readiness check timeout',
    { readiness: { checks: [{ name: 'db', check: noop, timeoutMs: 0 }] } },
    'readiness.checks[0].timeoutMs must be an integer from 1 (got 0)',
  ],
  [
    'a negative readiness check TTL',
    { readiness: { checks: [{ name: 'db', check: noop, ttlMs: -1 }] } },
    'readiness.checks[0].ttlMs must be an integer from 0 (got -1)',
  ],
  [
    'a non-boolean critical flag on a readiness check',
    { readiness: { checks: [{ name: 'db', check: noop, critical: 1 }] } },
    'readiness.checks[0].critical must be a boolean (got 1)',
  ],
  [
    'two readiness checks with one name (their results would share one body field)',
    {
      readiness: {
        checks: [
          { name: 'db', check: noop },
          { name: 'db', check: noop },
        ],
      },
    },
    'readiness.checks[1].name must be unique (got "db")',
  ],
  ['connections that are not an object', { connections: 5 }, 'connections must be an object (got 5)'],
  [
    'a negative request limit per connection',
    { connections: { maxRequests: -1 } },
    'connections.maxRequests must be an integer from 0 to 1000000000 (got -1)',
  ],
  [
    'a request limit given as a string',
    { connections: { maxRequests: '10' } },
    'connections.maxRequests must be an integer from 0 to 1000000000 (got "10")',
  ],
  [
    'a connection age above a day',
    { connections: { maxAgeMs: 86_400_001 } },
    'connections.maxAgeMs must be an integer from 0 to 86400000 (got 86400001)',
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

test('register accepts a delay and a drain that fill the shutdown timeout exactly', async () => {
  await registerWith({ shutdown: { delayMs: 10_000, drainTimeoutMs: 10_000, timeoutMs: 20_000 } });
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
