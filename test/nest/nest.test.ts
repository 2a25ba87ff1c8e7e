import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NEST_HOOK_MESSAGE } from '../fixtures/nest-app.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { get, samples, waitForStatus } from '../support/http.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}.js`, import.meta.url));
const NEST_EXPRESS = fixture('nest-express');
const NEST_FASTIFY = fixture('nest-fastify');

/** Long enough that the requests sent after the readiness flip land inside the delay on a busy machine. */
const DELAY_MS = 2000;

/** The Nest shutdown hooks the process ran, in order, as `[hook, signal]`. */
function nestHooks(service: DemoProcess): Array<[unknown, unknown]> {
  return service.logs.filter((line) => line.msg === NEST_HOOK_MESSAGE).map((line) => [line.hook, line.signal]);
}

const NEST_CLOSE_SEQUENCE = [
  ['onModuleDestroy', undefined],
  ['beforeApplicationShutdown', undefined],
  ['onApplicationShutdown', undefined],
];

for (const [name, entry] of [
  ['Nest on Express', NEST_EXPRESS],
  ['Nest on Fastify', NEST_FASTIFY],
] as const) {
  describe(name, () => {
    test('httpserver_requests_total counts GET /users/:id under its route template and unknown paths as __unmatched__', async () => {
      const service = await startDemo({}, entry);
      try {
        await waitForStatus(`${service.url}/readyz`, 200);
        assert.equal((await get(`${service.url}/startupz`)).status, 200);
        assert.equal((await get(`${service.url}/livez`)).status, 200);
        for (const id of [1, 2, 3]) {
          const user = await get(`${service.url}/users/${id}`);
          assert.deepEqual([user.status, user.body], [200, `{"id":"${id}"}`]);
        }
        assert.equal((await get(`${service.url}/nowhere`)).status, 404);

        const metrics = await get(`${service.url}/metrics`);
        assert.equal(metrics.status, 200);
        assert.deepEqual(samples(metrics.body, 'httpserver_requests_total'), [
          'httpserver_requests_total{method="GET",route="/users/:id",status="200"} 3',
          'httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 1',
        ]);
      } finally {
        await service.stop('SIGKILL');
      }
    });

    test("SIGTERM flips /readyz to 503 while /users/:id is still served, then runs Nest's shutdown hooks and exits 0", async () => {
      const service = await startDemo({ WARMSCALE_SHUTDOWN_DELAY_MS: String(DELAY_MS) }, entry);
      try {
        await waitForStatus(`${service.url}/readyz`, 200);
        process.kill(service.pid, 'SIGTERM');
        await waitForStatus(`${service.url}/readyz`, 503);

        const readiness = await get(`${service.url}/readyz`);
        assert.deepEqual([readiness.status, readiness.body], [503, '{"state":"draining"}']);
        assert.equal((await get(`${service.url}/livez`)).status, 200);
        const user = await get(`${service.url}/users/4`);
        assert.deepEqual([user.status, user.body, user.headers.connection], [200, '{"id":"4"}', 'close']);
        const metrics = (await get(`${service.url}/metrics`)).body;
        assert.deepEqual(samples(metrics, 'httpserver_requests_total'), [
          'httpserver_requests_total{method="GET",route="/users/:id",status="200"} 1',
        ]);
        assert.deepEqual(samples(metrics, 'warmscale_shutdown_requests_total'), [
          'warmscale_shutdown_requests_total 1',
        ]);
        assert.deepEqual(nestHooks(service), [], 'Nest must not close during the delay');

        assert.equal(await service.exited, 0);
        assert.deepEqual(nestHooks(service), NEST_CLOSE_SEQUENCE);
        const done = service.logs.find((line) => line.msg === 'shutdown complete');
        assert.equal(done?.requestsAfterSignal, 1);
      } finally {
        await service.stop('SIGKILL');
      }
    });
  });
}

describe('Nest on Express with app.enableShutdownHooks()', () => {
  test('Nest closes at the signal and re-raises it, so warmscale takes it for a second signal and exits 1', async () => {
    // A delay far longer than Nest's close, so the re-raised signal lands inside it; the exit comes at that signal.
    const service = await startDemo({ WARMSCALE_SHUTDOWN_DELAY_MS: '10000', NEST_SHUTDOWN_HOOKS: 'on' }, NEST_EXPRESS);
    try {
      await waitForStatus(`${service.url}/readyz`, 200);
      process.kill(service.pid, 'SIGTERM');
      assert.equal(await service.exited, 1);
      assert.deepEqual(nestHooks(service), [
        ['onModuleDestroy', undefined],
        ['beforeApplicationShutdown', 'SIGTERM'],
        ['onApplicationShutdown', 'SIGTERM'],
      ]);
      assert.ok(service.logs.some((line) => line.msg === 'second shutdown signal: exiting now'));
      assert.equal(
        service.logs.some((line) => line.msg === 'shutdown complete'),
        false,
      );
    } finally {
      await service.stop('SIGKILL');
    }
  });
});
