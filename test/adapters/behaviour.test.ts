/**
 * The behaviour every adapter promises, run against each one (Fastify, Express 4, Express 5, node:http) with the same
 * application and the same expectations, over real sockets on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises';
import { type Lifecycle, LifecycleState } from '@warmscale/middleware';
import { get, type HttpResult, samples } from '../support/http.js';
import { ADAPTERS, type RunningApp } from './harness.js';

/** Resolves once `condition` holds, checked every 5 ms; a generous deadline only turns a hang into a failure. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(5);
  }
}

/** Resolves when the lifecycle enters `state` (at once if it is there already). */
async function reached(lifecycle: Lifecycle, state: LifecycleState): Promise<void> {
  while (lifecycle.state !== state) await once(lifecycle, 'state');
}

const json = (result: HttpResult): unknown => JSON.parse(result.body);

for (const adapter of ADAPTERS) {
  describe(`${adapter.name} adapter`, () => {
    let running: RunningApp | undefined;
    const exits: number[] = [];
    const exit = (code: number): void => {
      exits.push(code);
    };

    afterEach(async () => {
      running?.release();
      if (running !== undefined && running.ws.lifecycle.state !== LifecycleState.Stopped) await running.close();
      running = undefined;
      exits.length = 0;
    });

    test('counts a known mix of requests exactly, one unmatched series for any number of unknown paths', async () => {
      running = await adapter.start({ warmup: { enabled: false }, shutdown: { signals: [], exit } });
      const { url } = running;
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      try {
        assert.equal((await get(`${url}/test`, agent)).body, 'OK');
        assert.equal((await get(`${url}/test`, agent)).status, 200);
        assert.deepEqual(json(await get(`${url}/users/1`, agent)), { id: '1' });
        assert.deepEqual(json(await get(`${url}/users/2?x=1`, agent)), { id: '2' });
        assert.equal((await get(`${url}/bad`, agent)).status, 400);
        assert.equal((await get(`${url}/fail`, agent)).status, 500);
        for (let i = 0; i < 50; i++) assert.equal((await get(`${url}/nowhere/${i}`, agent)).status, 404);
        for (const probe of ['/startupz', '/readyz', '/livez', '/metrics']) {
          assert.equal((await get(`${url}${probe}`, agent)).status, 200, probe);
        }

        // A client that leaves while its request is in the handler: counted once, as 499, even when the handler
        // answers afterwards.
        const aborted = request(`${url}/slow`);
        aborted.on('error', () => {});
        aborted.end();
        await until(() => running?.slowStarted() === 1, 'the /slow handler');
        aborted.destroy();
        const metricsUrl = `${url}/metrics`;
        await until(
          async () => (await get(metricsUrl)).body.includes('route="/slow",status="499"'),
          'the aborted request to be counted',
        );
        running.release();
        await tick();

        const exposition = (await get(metricsUrl)).body;
        assert.deepEqual(samples(exposition, 'httpserver_requests_total').sort(), [
          'httpserver_requests_total{method="GET",route="/bad",status="400"} 1',
          'httpserver_requests_total{method="GET",route="/fail",status="500"} 1',
          'httpserver_requests_total{method="GET",route="/slow",status="499"} 1',
          'httpserver_requests_total{method="GET",route="/test",status="200"} 2',
          'httpserver_requests_total{method="GET",route="/users/:id",status="200"} 2',
          'httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 50',
        ]);
        assert.deepEqual(
          samples(exposition, 'httpserver_request_duration_seconds_count').sort(),
          [
            'httpserver_request_duration_seconds_count{method="GET",route="/bad"} 1',
            'httpserver_request_duration_seconds_count{method="GET",route="/fail"} 1',
            'httpserver_request_duration_seconds_count{method="GET",route="/test"} 2',
            'httpserver_request_duration_seconds_count{method="GET",route="/users/:id"} 2',
            'httpserver_request_duration_seconds_count{method="GET",route="__unmatched__"} 50',
          ],
          'an aborted request has no duration',
        );
      } finally {
        agent.destroy();
      }
    });

    test('probes answer from the lifecycle: warming, ready, draining, stopped', async () => {
      let finishWarmup = (): void => {};
      running = await adapter.start({
        warmup: {
          steps: [{ name: 'prime cache', run: () => new Promise<void>((resolve) => (finishWarmup = resolve)) }],
        },
        shutdown: { signals: [], delayMs: 3_600_000, drainTimeoutMs: 0, timeoutMs: 3_600_000, exit },
      });
      const { url, ws } = running;
      const probe = async (path: string) => {
        const result = await get(`${url}${path}`);
        assert.equal(result.headers['cache-control'], 'no-store');
        return [result.status, (json(result) as { state: string }).state];
      };
      assert.deepEqual(await probe('/startupz'), [503, 'warming']);
      assert.deepEqual(await probe('/readyz'), [503, 'warming']);
      assert.deepEqual(await probe('/livez'), [200, 'warming']);

      finishWarmup();
      await ws.lifecycle.ready;
      assert.deepEqual(await probe('/startupz'), [200, 'ready']);
      assert.deepEqual(await probe('/readyz'), [200, 'ready']);
      assert.deepEqual(await probe('/livez'), [200, 'ready']);

      void ws.shutdown('test');
      assert.equal(ws.lifecycle.state, LifecycleState.Draining);
      assert.deepEqual(await probe('/readyz'), [503, 'draining']);
      assert.deepEqual(await probe('/startupz'), [200, 'draining']);
      assert.deepEqual(await probe('/livez'), [200, 'draining']);
      const served = await get(`${url}/test`, new Agent({ keepAlive: true }));
      assert.deepEqual([served.status, served.headers.connection], [200, 'close']);

      await running.close();
      assert.equal(ws.lifecycle.state, LifecycleState.Stopped);
      await until(() => exits.length === 1, 'the shutdown to finish');
      assert.deepEqual(exits, [0]);
    });

    test('warm-up requests reach the routes and gate readiness, and are not counted', async () => {
      let finishFirstStep = (): void => {};
      running = await adapter.start({
        warmup: {
          steps: [
            { name: 'open pool', run: () => new Promise<void>((resolve) => (finishFirstStep = resolve)) },
            { inject: { url: '/users/warm' }, times: 5, concurrency: 2 },
          ],
        },
        shutdown: { signals: [], exit },
      });
      const { url, ws } = running;
      assert.equal((await get(`${url}/readyz`)).status, 503);
      finishFirstStep();
      await ws.lifecycle.ready;
      assert.equal((await get(`${url}/readyz`)).status, 200);
      const exposition = (await get(`${url}/metrics`)).body;
      // A pod that has counted nothing exports one zero series, so the adapter sees 0 for it, not a missing pod.
      assert.deepEqual(samples(exposition, 'httpserver_requests_total'), [
        'httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 0',
      ]);
      assert.deepEqual(samples(exposition, 'warmscale_warmup_steps_total'), [
        'warmscale_warmup_steps_total{outcome="succeeded"} 2',
      ]);
    });

    test('metrics.countInternal counts every probe and the metrics endpoint too', async () => {
      running = await adapter.start({
        env: {},
        metrics: { countInternal: true },
        probes: { maxEventLoopDelayMs: 0 },
        warmup: { enabled: false },
        shutdown: { signals: [], exit },
      });
      await running.ws.lifecycle.ready;
      for (const path of ['/startupz', '/readyz', '/livez', '/metrics']) {
        assert.equal((await get(`${running.url}${path}`)).status, 200, path);
      }
      const exposition = (await get(`${running.url}/metrics`)).body;
      assert.deepEqual(samples(exposition, 'httpserver_requests_total').sort(), [
        'httpserver_requests_total{method="GET",route="/livez",status="200"} 1',
        'httpserver_requests_total{method="GET",route="/metrics",status="200"} 1',
        'httpserver_requests_total{method="GET",route="/readyz",status="200"} 1',
        'httpserver_requests_total{method="GET",route="/startupz",status="200"} 1',
      ]);
    });

    test('metrics.countInternal counts each warm-up request once, injected or over loopback', async () => {
      running = await adapter.start({
        env: {},
        metrics: { countInternal: true },
        // However loaded the machine, the loopback warm-up requests must not be shed.
        admission: { maxEventLoopDelayMs: 0 },
        warmup: {
          steps: [
            { inject: { url: '/users/warm' }, times: 3 },
            { inject: { url: '/test' }, times: 2, transport: 'loopback' },
          ],
        },
        shutdown: { signals: [], exit },
      });
      await running.ws.lifecycle.ready;
      const exposition = (await get(`${running.url}/metrics`)).body;
      assert.deepEqual(samples(exposition, 'httpserver_requests_total').sort(), [
        'httpserver_requests_total{method="GET",route="/test",status="200"} 2',
        'httpserver_requests_total{method="GET",route="/users/:id",status="200"} 3',
      ]);
    });

    test('connections.maxRequests closes a keep-alive connection on its last allowed response', async () => {
      running = await adapter.start({
        warmup: { enabled: false },
        connections: { maxRequests: 3 },
        shutdown: { signals: [], exit },
      });
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const seen: Array<[number, string | undefined, Socket]> = [];
        for (let i = 0; i < 4; i++) {
          await new Promise<void>((resolve, reject) => {
            const req = request(`${running?.url}/test`, { agent }, (response) => {
              response.resume();
              response.on('end', () => {
                seen.push([response.statusCode ?? 0, response.headers.connection, req.socket as Socket]);
                resolve();
              });
            });
            req.on('error', reject);
            req.end();
          });
        }
        assert.deepEqual(
          seen.map(([status, connection]) => [status, connection]),
          [
            [200, 'keep-alive'],
            [200, 'keep-alive'],
            [200, 'close'],
            [200, 'keep-alive'],
          ],
        );
        const sockets = seen.map(([, , socket]) => socket);
        assert.equal(sockets[0], sockets[2]);
        assert.notEqual(sockets[2], sockets[3]);
      } finally {
        agent.destroy();
      }
    });

    test('connection recycling never lets Node answer for the app: pipelined requests past the limit get no 503', async () => {
      running = await adapter.start({
        warmup: { enabled: false },
        connections: { maxRequests: 3 },
        shutdown: { signals: [], exit },
      });
      const { port } = new URL(running.url);
      const socket = createConnection(Number(port), '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk;
      });
      socket.write('GET /test HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(5));
      await once(socket, 'close');
      assert.deepEqual(
        [...received.matchAll(/HTTP\/1\.1 (\d+)/g)].map((match) => match[1]),
        ['200', '200', '200'],
      );
      assert.match(received, /connection: close/i);
      assert.deepEqual(samples((await get(`${running.url}/metrics`)).body, 'httpserver_requests_total'), [
        'httpserver_requests_total{method="GET",route="/test",status="200"} 3',
      ]);
    });

    test('a client that leaves with requests pipelined behind an answered one: each counted once, the rest as 499', async () => {
      running = await adapter.start({ warmup: { enabled: false }, shutdown: { signals: [], exit } });
      const { port } = new URL(running.url);
      const socket = createConnection(Number(port), '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk;
      });
      socket.on('error', () => {});
      socket.write(`GET /test HTTP/1.1\r\nHost: x\r\n\r\n${'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2)}`);
      await until(() => running?.slowStarted() === 2 && received.includes('OK'), 'both pipelined /slow handlers');
      socket.destroy();
      const metricsUrl = `${running.url}/metrics`;
      await until(
        async () => (await get(metricsUrl)).body.includes('route="/slow",status="499"} 2'),
        'both pipelined requests to be counted',
      );
      running.release();
      await tick();
      assert.deepEqual(samples((await get(metricsUrl)).body, 'httpserver_requests_total').sort(), [
        'httpserver_requests_total{method="GET",route="/slow",status="499"} 2',
        'httpserver_requests_total{method="GET",route="/test",status="200"} 1',
      ]);
    });
    test('regression: responses written before routing were never counted; every response is counted once', async () => {
      running = await adapter.start({ warmup: { enabled: false }, shutdown: { signals: [], exit } });
      const { port } = new URL(running.url);
      /** Sends raw bytes on a new connection; resolves with the status line's code, or undefined if none came. */
      const send = async (bytes: string): Promise<string | undefined> => {
        const socket = createConnection(Number(port), '127.0.0.1');
        let received = '';
        socket.on('data', (chunk) => {
          received += chunk;
          if (/\r\n\r\n/.test(received)) socket.end();
        });
        socket.on('error', () => {});
        socket.write(bytes);
        await once(socket, 'close');
        return /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      };
      const statuses = [
        await send('GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        await send(`GET /users/${'a'.repeat(200)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
        await send('GARBAGE\r\n\r\n'),
        await send(`GET /test HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
        await send('GET /test HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        // A malformed body: the request is already routed when Node fails to parse it.
        await send('GET /test HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
      ];
      assert.deepEqual(statuses.slice(2, 5), ['400', '431', '200']);
      assert.equal(
        statuses.every((status) => status !== undefined),
        true,
      );
      const counted = samples((await get(`${running.url}/metrics`)).body, 'httpserver_requests_total');
      assert.ok(counted.includes('httpserver_requests_total{method="_OTHER",route="__unmatched__",status="431"} 1'));
      // Per status, the counter holds exactly the responses the clients received.
      const byStatus = (pairs: Array<[string, number]>): Record<string, number> => {
        const sums: Record<string, number> = {};
        for (const [status, n] of pairs) sums[status] = (sums[status] ?? 0) + n;
        return sums;
      };
      assert.deepEqual(
        byStatus(counted.map((line) => [/status="(\d+)"/.exec(line)?.[1] ?? '', Number(line.split(' ').pop())])),
        byStatus(statuses.map((status) => [status ?? 'none', 1])),
        counted.join('\n'),
      );
    });

    test('admission.maxInFlight: 50 concurrent slow requests, 10 served, 40 shed with 503 and counted; probes unaffected', async () => {
      running = await adapter.start({
        warmup: { enabled: false },
        admission: { maxInFlight: 10, maxEventLoopDelayMs: 0, retryAfterSeconds: 2 },
        shutdown: { signals: [], exit },
      });
      const { url } = running;
      const agent = new Agent({ keepAlive: false, maxSockets: 50 });
      try {
        const results = Array.from({ length: 50 }, () => get(`${url}/slow`, agent));
        const shed: HttpResult[] = [];
        for (const result of results) void result.then((r) => r.status === 503 && shed.push(r));
        await until(() => shed.length === 40 && running?.slowStarted() === 10, '40 shed and 10 in the handler');
        for (const probe of ['/startupz', '/readyz', '/livez'])
          assert.equal((await get(`${url}${probe}`)).status, 200, probe);
        const during = (await get(`${url}/metrics`)).body;
        // The 10 slow requests and the scrape itself.
        assert.deepEqual(samples(during, 'warmscale_requests_in_flight'), ['warmscale_requests_in_flight 11']);
        running.release();
        const statuses = (await Promise.all(results)).map((r) => r.status);
        assert.deepEqual(
          [statuses.filter((s) => s === 200).length, statuses.filter((s) => s === 503).length],
          [10, 40],
        );
        const first = shed[0] as HttpResult;
        assert.deepEqual(
          [first.headers['retry-after'], first.headers.connection, JSON.parse(first.body).reason],
          ['2', 'close', 'concurrency'],
        );
        const exposition = (await get(`${url}/metrics`)).body;
        const sum = (status: string) =>
          samples(exposition, 'httpserver_requests_total')
            .filter((line) => line.includes(`status="${status}"`))
            .reduce((total, line) => total + Number(line.split(' ').pop()), 0);
        assert.deepEqual([sum('200'), sum('503')], [10, 40]);
        assert.deepEqual(samples(exposition, 'warmscale_admission_rejected_total'), [
          'warmscale_admission_rejected_total{reason="concurrency"} 40',
        ]);
        assert.deepEqual(samples(exposition, 'warmscale_requests_in_flight'), ['warmscale_requests_in_flight 1']);
      } finally {
        agent.destroy();
      }
    });

    test('admission.maxEventLoopDelayMs sheds during an event-loop stall and stops once the loop keeps up again', async () => {
      running = await adapter.start({
        warmup: { enabled: false },
        admission: { maxEventLoopDelayMs: 200 },
        shutdown: { signals: [], exit },
      });
      const { url } = running;
      assert.equal((await get(`${url}/test`)).status, 200);
      const until = performance.now() + 600;
      while (performance.now() < until);
      // The guard's sampler is overdue after the stall and runs in the next timers phase, before this request is read.
      const during = await get(`${url}/test`);
      assert.deepEqual([during.status, JSON.parse(during.body).reason], [503, 'event_loop']);
      assert.equal((await get(`${url}/livez`)).status, 200, 'probes are never shed');
      // Two sampling periods without a stall clear the guard.
      await sleep(250);
      assert.equal((await get(`${url}/test`)).status, 200);
      assert.deepEqual(samples((await get(`${url}/metrics`)).body, 'warmscale_admission_rejected_total'), [
        'warmscale_admission_rejected_total{reason="event_loop"} 1',
      ]);
    });

    test('regression: a warm-up step that held the event loop shed the first requests after readiness', async () => {
      running = await adapter.start({
        warmup: {
          steps: [
            {
              name: 'build an index',
              run: () => {
                const until = performance.now() + 600;
                while (performance.now() < until);
              },
            },
          ],
        },
        admission: { maxEventLoopDelayMs: 200 },
        shutdown: { signals: [], exit },
      });
      await reached(running.ws.lifecycle, LifecycleState.Ready);
      const { url } = running;
      const statuses = await Promise.all(Array.from({ length: 5 }, async () => (await get(`${url}/test`)).status));
      assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
      assert.deepEqual(samples((await get(`${url}/metrics`)).body, 'warmscale_admission_rejected_total'), []);
    });

    test('SIGTERM under keep-alive load: readiness 503 at once, every request served, in-flight work finishes, exit 0', async () => {
      running = await adapter.start({
        warmup: { enabled: false },
        shutdown: { signals: ['SIGTERM'], delayMs: 2000, drainTimeoutMs: 5000, timeoutMs: 10_000, exit },
      });
      const { url, ws } = running;
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      const statuses = new Map<string, number>();
      let removed = false;
      const worker = async (): Promise<void> => {
        // Like a load balancer client: keeps sending until the pod is taken out of the endpoints.
        while (!removed) {
          const outcome = await get(`${url}/test`, agent).then(
            (response) => String(response.status),
            (error: NodeJS.ErrnoException) => `error:${error.code}`,
          );
          statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
        }
      };
      const slow = get(`${url}/slow`, agent);
      await until(() => running?.slowStarted() === 1, 'the /slow handler');
      const load = Promise.all([worker(), worker(), worker()]);
      await until(() => (statuses.get('200') ?? 0) >= 30, 'traffic before the signal');

      process.kill(process.pid, 'SIGTERM');
      await reached(ws.lifecycle, LifecycleState.Draining);
      const readiness = await get(`${url}/readyz`);
      assert.equal(readiness.status, 503);
      removed = true;
      await load;
      await reached(ws.lifecycle, LifecycleState.Stopping);
      running.release();
      const slowResult = await slow;
      assert.deepEqual([slowResult.status, slowResult.body, slowResult.headers.connection], [200, 'slow', 'close']);
      await until(() => exits.length === 1, 'the exit');
      assert.deepEqual(exits, [0]);
      assert.deepEqual([...statuses.keys()], ['200'], 'no request failed');
      agent.destroy();
    });
  });
}

test('many instances in one process install one listener per signal', async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning.name);
  };
  process.on('warning', onWarning);
  const before = process.listenerCount('SIGTERM');
  const apps: RunningApp[] = [];
  try {
    for (const adapter of ADAPTERS) {
      for (let i = 0; i < 4; i++) {
        apps.push(await adapter.start({ warmup: { enabled: false }, shutdown: { exit: () => {} } }));
      }
    }
    await until(() => apps.every((app) => app.ws.lifecycle.state === LifecycleState.Ready), 'every app to be ready');
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    assert.equal(process.listenerCount('SIGINT'), before === 0 ? 1 : process.listenerCount('SIGINT'));
  } finally {
    for (const app of apps) await app.close();
    process.off('warning', onWarning);
  }
  assert.equal(process.listenerCount('SIGTERM'), before);
  await tick();
  assert.deepEqual(warnings, []);
});
