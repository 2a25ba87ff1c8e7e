// The chart's values reach a service built on @warmscale/middleware through the Deployment's environment alone: a
// user-style app (test/fixtures/user-app.ts, which reads no variable itself) runs with exactly the rendered
// environment, and each value shows in its behaviour.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { get, samples, waitForStatus } from '../support/http.js';
import { containerEnv, renderChart } from './render.js';

const USER_APP = fileURLToPath(new URL('../fixtures/user-app.js', import.meta.url));

/** Values whose effect shows within seconds, and a metrics path and counter name other than the defaults. */
const VALUES = {
  metrics: { path: '/internal/metrics', counterName: 'shop_http_requests_total' },
  warmup: { budgetSeconds: 2 },
  shutdown: { preStopSleepSeconds: 0, delaySeconds: 1, drainTimeoutSeconds: 1, timeoutSeconds: 3 },
  connectionRecycling: { maxRequests: 3 },
};

describe("a service built on the middleware, started with the chart's environment only", () => {
  let env: Record<string, string>;
  before(async () => {
    env = containerEnv(await renderChart(VALUES));
  });

  /** Starts the user app with the rendered environment (plus PATH) and nothing else. */
  function startUserApp(args: readonly string[] = []): Promise<DemoProcess> {
    return startDemo(env, USER_APP, { exactEnv: true, args });
  }

  test('the chart renders the values as WARMSCALE_* variables in the middleware units', () => {
    assert.deepEqual(
      Object.entries(env).filter(([name]) => name.startsWith('WARMSCALE_')),
      [
        ['WARMSCALE_METRICS_PATH', '/internal/metrics'],
        ['WARMSCALE_METRICS_REQUESTS_TOTAL_NAME', 'shop_http_requests_total'],
        ['WARMSCALE_WARMUP_ENABLED', 'true'],
        ['WARMSCALE_WARMUP_BUDGET_MS', '2000'],
        ['WARMSCALE_SHUTDOWN_DELAY_MS', '1000'],
        ['WARMSCALE_SHUTDOWN_DRAIN_TIMEOUT_MS', '1000'],
        ['WARMSCALE_SHUTDOWN_TIMEOUT_MS', '3000'],
        ['WARMSCALE_SHUTDOWN_PRE_STOP_SLEEP_SECONDS', '0'],
        ['WARMSCALE_SHUTDOWN_GRACE_PERIOD_SECONDS', '8'],
        ['WARMSCALE_CONNECTIONS_MAX_REQUESTS', '3'],
        ['WARMSCALE_CONNECTIONS_MAX_AGE_MS', '30000'],
        ['WARMSCALE_CONNECTIONS_MAX_AGE_JITTER', '0.1'],
        ['WARMSCALE_ADMISSION_MAX_IN_FLIGHT', '0'],
        ['WARMSCALE_ADMISSION_SLOW_START_MS', '0'],
        ['WARMSCALE_ADMISSION_SLOW_START_MIN_SHARE', '0.1'],
        ['WARMSCALE_ADMISSION_SLOW_START_AGGRESSION', '1'],
        ['WARMSCALE_ADMISSION_MAX_EVENT_LOOP_DELAY_MS', '500'],
        ['WARMSCALE_ADMISSION_RETRY_AFTER_SECONDS', '1'],
      ],
    );
  });

  test('connectionRecycling.maxRequests=3: the third response on one keep-alive connection carries Connection: close', async () => {
    const app = await startUserApp();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await waitForStatus(`${app.url}/readyz`, 200);
      const connection: unknown[] = [];
      for (let i = 0; i < 4; i++) {
        const response = await get(`${app.url}/orders`, agent);
        assert.equal(response.status, 200);
        connection.push(response.headers.connection);
      }
      // The fourth request opened a new connection, which counts from one again.
      assert.deepEqual(connection, ['keep-alive', 'keep-alive', 'close', 'keep-alive']);
    } finally {
      agent.destroy();
      await app.stop('SIGKILL');
    }
  });

  test("metrics.path and metrics.counterName: the app serves the chart's counter at the chart's path", async () => {
    const app = await startUserApp();
    try {
      await waitForStatus(`${app.url}/readyz`, 200);
      assert.equal((await get(`${app.url}/orders`)).status, 200);
      assert.equal((await get(`${app.url}/orders`)).status, 200);
      assert.equal((await get(`${app.url}/metrics`)).status, 404);
      const exposition = await get(`${app.url}/internal/metrics`);
      assert.equal(exposition.status, 200);
      assert.deepEqual(samples(exposition.body, 'shop_http_requests_total'), [
        'shop_http_requests_total{method="GET",route="/orders",status="200"} 2',
        'shop_http_requests_total{method="GET",route="__unmatched__",status="404"} 1',
      ]);
      assert.deepEqual(samples(exposition.body, 'httpserver_requests_total'), []);
    } finally {
      await app.stop('SIGKILL');
    }
  });

  test('shutdown.*: SIGTERM turns /readyz 503 while requests are still served, then the app drains and exits 0', async () => {
    const app = await startUserApp();
    try {
      await waitForStatus(`${app.url}/readyz`, 200);
      process.kill(app.pid, 'SIGTERM');
      await waitForStatus(`${app.url}/readyz`, 503);
      const served = await get(`${app.url}/orders`);
      assert.deepEqual([served.status, served.headers.connection], [200, 'close']);
      assert.equal(await app.exited, 0);
      // By message: a line logged just before process.exit() may reach the pipe ahead of an earlier one.
      const shutdown = app.logs
        .filter((line) => typeof line.msg === 'string' && /^(shutdown|no longer accepting)/.test(line.msg))
        .map(({ msg, delayMs, drainTimeoutMs }) => ({ msg, delayMs, drainTimeoutMs }))
        .sort((a, b) => String(a.msg).localeCompare(String(b.msg)));
      assert.deepEqual(shutdown, [
        { msg: 'no longer accepting; draining in-flight requests', delayMs: undefined, drainTimeoutMs: 1000 },
        { msg: 'shutdown complete', delayMs: undefined, drainTimeoutMs: undefined },
        { msg: 'shutdown started: readiness is now 503, still serving', delayMs: 1000, drainTimeoutMs: undefined },
      ]);
    } finally {
      await app.stop('SIGKILL');
    }
  });

  test('warmup.budgetSeconds=2: a warm-up step that never finishes is cut at the budget and the app exits 1', async () => {
    const app = await startUserApp(['hanging-warmup']);
    try {
      assert.equal((await get(`${app.url}/startupz`)).status, 503);
      assert.equal(await app.exited, 1);
      const settings = app.logs.find((line) => line.msg === 'warmscale settings')?.settings as Record<string, unknown>;
      assert.equal(settings['warmup.budgetMs'], 2000);
      const failed = app.logs.find((line) => line.msg === 'critical warm-up step failed');
      assert.equal(failed?.step, 'connect to a database that never answers');
      // The step's own limit is what is left of the budget, so it can never exceed the chart's 2000 ms.
      const cutAfterMs = Number(/^timed out after (\d+) ms$/.exec(String(failed?.error))?.[1]);
      assert.ok(cutAfterMs > 0 && cutAfterMs <= 2000, String(failed?.error));
      assert.ok(app.logs.some((line) => line.msg === 'warm-up failed and its budget is spent: exiting 1'));
    } finally {
      await app.stop('SIGKILL');
    }
  });
});
