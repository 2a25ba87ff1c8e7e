import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startDemo } from '../support/demo-process.js';
import { get, samples, waitForStatus } from '../support/http.js';
import { startLoad } from '../support/load.js';

const FAILING_WARMUP = fileURLToPath(new URL('../fixtures/failing-warmup.js', import.meta.url));
const GATED_WARMUP = fileURLToPath(new URL('../fixtures/gated-warmup.js', import.meta.url));
const DRAIN_APP = fileURLToPath(new URL('../fixtures/drain-app.js', import.meta.url));

/** Resolves once `condition` holds, checked every 10 ms; a generous deadline only turns a hang into a failure. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How many `/hello` requests the service has counted. */
async function helloCount(url: string): Promise<number> {
  const line = samples((await get(`${url}/metrics`)).body, 'httpserver_requests_total').find((sample) =>
    sample.includes('route="/hello"'),
  );
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

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

  test('SIGTERM under keep-alive load: readiness flips at once, every request is served, requests in flight when the listener closes finish, exit 0', async () => {
    // The test acts within the delay (load stopped, scrape, three requests sent) in well under its 3 s.
    const service = await startDemo(
      {
        WARMSCALE_WARMUP_ENABLED: 'false',
        // However loaded the machine, no request of the load may be shed.
        WARMSCALE_ADMISSION_MAX_EVENT_LOOP_DELAY_MS: '0',
        WARMSCALE_SHUTDOWN_DELAY_MS: '3000',
        WARMSCALE_SHUTDOWN_DRAIN_TIMEOUT_MS: '5000',
        WARMSCALE_SHUTDOWN_TIMEOUT_MS: '10000',
      },
      DRAIN_APP,
    );
    try {
      await waitForStatus(`${service.url}/readyz`, 200);
      const load = await startLoad({
        url: `${service.url}/hello`,
        concurrency: 4,
        maxRequests: 200_000,
        maxMs: 30_000,
      });
      await until(
        async () => (await helloCount(service.url)) >= 100,
        'the server to have served 100 requests of the load',
      );

      // Like the kubelet, probe on a fresh connection each time.
      const probeAgent = new Agent({ keepAlive: false });
      process.kill(service.pid, 'SIGTERM');
      const readiness: number[] = [];
      for (let i = 0; i < 5; i++) readiness.push((await get(`${service.url}/readyz`, probeAgent)).status);
      // The signal reaches the process before the first probe does, but may be handled just after it.
      assert.ok(readiness[0] === 503 || readiness[1] === 503, `readiness after SIGTERM: ${readiness}`);
      assert.deepEqual(readiness.slice(readiness.indexOf(503)), Array(5 - readiness.indexOf(503)).fill(503));
      assert.equal((await get(`${service.url}/livez`, probeAgent)).status, 200);

      // Endpoint removal has propagated: the load stops, still within the delay, and every request it sent was served.
      const summary = await load.stop();
      assert.deepEqual(summary.errors, {});
      assert.deepEqual(Object.keys(summary.statuses), ['200']);
      const metrics = (await get(`${service.url}/metrics`)).body;
      assert.deepEqual(samples(metrics, 'httpserver_requests_total'), [
        `httpserver_requests_total{method="GET",route="/hello",status="200"} ${summary.sent}`,
      ]);
      const afterSignal = Number(samples(metrics, 'warmscale_shutdown_requests_total')[0]?.split(' ')[1]);
      assert.ok(afterSignal > 0, 'the load went on after the signal');

      // Three requests that are answered only once the listener has closed.
      const holdAgent = new Agent({ keepAlive: true });
      const held = Promise.all([1, 2, 3].map(() => get(`${service.url}/hold`, holdAgent)));
      await until(
        () => service.logs.filter((line) => line.msg === 'holding until the listener closes').length === 3,
        'the three /hold requests to reach their handler',
      );
      assert.deepEqual(
        (await held).map((r) => [r.status, r.body, r.headers.connection]),
        Array(3).fill([200, '{"listening":false}', 'close']),
      );
      holdAgent.destroy();

      assert.equal(await service.exited, 0);
      const done = service.logs.find((line) => line.msg === 'shutdown complete');
      assert.deepEqual(done?.requestsAfterSignal, afterSignal + 3);
    } finally {
      await service.stop('SIGKILL');
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
