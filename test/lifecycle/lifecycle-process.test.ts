import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startDemo } from '../support/demo-process.js';
import { get, samples, sleep, waitForStatus } from '../support/http.js';
import { startLoad } from '../support/load.js';

const FAILING_WARMUP = fileURLToPath(new URL('../fixtures/failing-warmup.js', import.meta.url));
const GATED_WARMUP = fileURLToPath(new URL('../fixtures/gated-warmup.js', import.meta.url));

describe('lifecycle of a real process', () => {
  test('warm-up gates a real process: /startupz and /readyz answer 503 while warming, 200 once it is done', async () => {
    const service = await startDemo({}, GATED_WARMUP);
    try {
      const first = await get(`${service.url}/startupz`);
      assert.deepEqual([first.status, (JSON.parse(first.body) as { state: string }).state], [503, 'warming']);
      assert.equal((await get(`${service.url}/readyz`)).status, 503);
      assert.equal((await get(`${service.url}/livez`)).status, 200);
      process.kill(service.pid, 'SIGUSR2');
      await waitForStatus(`${service.url}/readyz`, 200);
      assert.equal((await get(`${service.url}/startupz`)).status, 200);
      assert.deepEqual(samples((await get(`${service.url}/metrics`)).body, 'httpserver_requests_total'), [
        'httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 0',
      ]);
    } finally {
      await service.stop();
    }
  });

  test('the demo warms its cold route before /readyz turns 200, and warm-up traffic is not counted', async () => {
    const demo = await startDemo({ WARMSCALE_WARMUP_ENABLED: 'true' });
    try {
      await waitForStatus(`${demo.url}/readyz`, 200);
      const startup = JSON.parse((await get(`${demo.url}/startupz`)).body) as Record<string, unknown>;
      assert.deepEqual(
        { ...startup, warmup: { ...(startup.warmup as object), elapsedMs: 0 } },
        {
          state: 'ready',
          warmup: { total: 2, done: 2, failed: [], elapsedMs: 0 },
        },
      );
      const metrics = (await get(`${demo.url}/metrics`)).body;
      assert.ok(metrics.includes('\nwarmscale_warmup_steps_total{outcome="succeeded"} 2\n'));
      assert.deepEqual(
        metrics.split('\n').filter((line) => line.startsWith('httpserver_requests_total{')),
        ['httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 0'],
        'warm-up (220 requests) and probe traffic must not be counted: only the zero series of a pod that has counted nothing',
      );
    } finally {
      await demo.stop();
    }
  });

  test('a failing critical warm-up step keeps /startupz at 503 and the process exits 1 after the budget', async () => {
    const service = await startDemo({ WARMSCALE_WARMUP_BUDGET_MS: '1500' }, FAILING_WARMUP);
    try {
      const startup = await get(`${service.url}/startupz`);
      assert.equal(startup.status, 503);
      assert.equal((await get(`${service.url}/readyz`)).status, 503);
      assert.equal((await get(`${service.url}/livez`)).status, 200);
      assert.equal(await service.exited, 1);
      assert.ok(service.logs.some((line) => line.msg === 'critical warm-up step failed'));
      assert.ok(service.logs.some((line) => line.msg === 'warm-up failed and its budget is spent: exiting 1'));
    } finally {
      await service.stop('SIGKILL');
    }
  });

  test('SIGTERM under keep-alive load: readiness flips at once, every request is served, in-flight work finishes, exit 0', async () => {
    const delayMs = 2000;
    const demo = await startDemo({
      WARMSCALE_WARMUP_ENABLED: 'false',
      WARMSCALE_SHUTDOWN_DELAY_MS: String(delayMs),
      WARMSCALE_SHUTDOWN_DRAIN_TIMEOUT_MS: '5000',
      WARMSCALE_SHUTDOWN_TIMEOUT_MS: '10000',
    });
    try {
      await waitForStatus(`${demo.url}/readyz`, 200);
      const load = await startLoad({ url: `${demo.url}/hello`, concurrency: 4, maxRequests: 200_000, maxMs: 30_000 });
      await sleep(500);

      // Like the kubelet, probe on a fresh connection each time.
      const probeAgent = new Agent({ keepAlive: false });
      const signalledAt = Date.now();
      process.kill(demo.pid, 'SIGTERM');
      const readiness: number[] = [];
      for (let i = 0; i < 5; i++) readiness.push((await get(`${demo.url}/readyz`, probeAgent)).status);
      assert.ok(readiness[0] === 503 || readiness[1] === 503, `readiness after SIGTERM: ${readiness}`);
      assert.deepEqual(readiness.slice(readiness.indexOf(503)), Array(5 - readiness.indexOf(503)).fill(503));
      assert.equal((await get(`${demo.url}/livez`, probeAgent)).status, 200);

      // Endpoint removal has propagated by the end of the delay: the load stops before the server stops accepting.
      await sleep(signalledAt + delayMs - 600 - Date.now());
      const slowAgent = new Agent({ keepAlive: true });
      const slow = Promise.all([1, 2, 3].map(() => get(`${demo.url}/work?ms=500`, slowAgent)));
      const summary = await load.stop();
      const slowResults = await slow;
      slowAgent.destroy();

      assert.deepEqual(summary.errors, {});
      assert.deepEqual(Object.keys(summary.statuses), ['200']);
      assert.ok(summary.sent > 100, `only ${summary.sent} requests were sent`);
      assert.deepEqual(
        slowResults.map((r) => [r.status, r.body, r.headers.connection]),
        Array(3).fill([200, '{"worked":500}', 'close']),
      );
      assert.ok(Date.now() - signalledAt > delayMs, 'the slow requests were still in flight when the server closed');
      assert.equal(await demo.exited, 0);
      const done = demo.logs.find((line) => line.msg === 'shutdown complete');
      assert.ok(done !== undefined && (done.requestsAfterSignal as number) >= 3, JSON.stringify(done));
    } finally {
      await demo.stop('SIGKILL');
    }
  });

  test('a second SIGTERM during the delay exits 1 at once', async () => {
    const demo = await startDemo({
      WARMSCALE_WARMUP_ENABLED: 'false',
      WARMSCALE_SHUTDOWN_DELAY_MS: '10000',
      WARMSCALE_SHUTDOWN_TIMEOUT_MS: '20000',
    });
    try {
      await waitForStatus(`${demo.url}/readyz`, 200);
      process.kill(demo.pid, 'SIGTERM');
      await waitForStatus(`${demo.url}/readyz`, 503);
      process.kill(demo.pid, 'SIGTERM');
      assert.equal(await demo.exited, 1);
      assert.ok(demo.logs.some((line) => line.msg === 'second shutdown signal: exiting now'));
    } finally {
      await demo.stop('SIGKILL');
    }
  });

  test('start-up warns when preStop sleep + shutdown timeout exceed the termination grace period', async () => {
    const demo = await startDemo({
      WARMSCALE_WARMUP_ENABLED: 'false',
      WARMSCALE_SHUTDOWN_PRE_STOP_SLEEP_SECONDS: '5',
      WARMSCALE_SHUTDOWN_TIMEOUT_MS: '30000',
      WARMSCALE_SHUTDOWN_GRACE_PERIOD_SECONDS: '30',
    });
    try {
      await waitForStatus(`${demo.url}/readyz`, 200);
      const warning = demo.logs.find((line) => line.level === 40);
      assert.equal(
        warning?.msg,
        'preStop sleep + shutdown timeout (35000 ms) exceed terminationGracePeriodSeconds (30 s): the kubelet will SIGKILL in-flight requests',
      );
    } finally {
      await demo.stop('SIGKILL');
    }
  });
});
