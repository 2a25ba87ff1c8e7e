import assert from 'node:assert/strict';
import { Agent, get as httpGet } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import warmscale, { LifecycleState, type WarmscaleOptionsInput } from '@warmscale/middleware';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Deferred, deferred, sampleLines } from './helpers.js';

let app: FastifyInstance;
let exits: number[];
let exited: Deferred<number>;

async function build(options: WarmscaleOptionsInput = {}): Promise<FastifyInstance> {
  exits = [];
  exited = deferred<number>();
  app = Fastify();
  await app.register(warmscale, {
    ...options,
    shutdown: {
      signals: [],
      delayMs: 0,
      ...options.shutdown,
      exit: (code) => {
        exits.push(code);
        exited.resolve(code);
      },
    },
  });
  app.get('/test', async () => 'OK');
  return app;
}

async function probe(path: string): Promise<[number, Record<string, unknown>]> {
  const response = await app.inject(path);
  return [response.statusCode, response.json()];
}

/** GETs `/test` on the listening app over `agent`; returns the status, the `Connection` header and the socket. */
async function getOver(
  agent: Agent,
  port: number,
): Promise<{ status: number | undefined; connection: string | undefined; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const request = httpGet({ host: '127.0.0.1', port, path: '/test', agent }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({
          status: response.statusCode,
          connection: response.headers.connection,
          socket: request.socket as Socket,
        }),
      );
    });
    request.on('error', reject);
  });
}

afterEach(async () => {
  if (app.warmscale.lifecycle.state !== LifecycleState.Stopped) await app.close();
});

describe('warm-up gates startup and readiness', () => {
  test('/startupz and /readyz answer 503 while warming and 200 after; /livez is 200 throughout', async () => {
    const gate = deferred();
    await build({ warmup: { steps: [{ name: 'prime cache', run: () => gate.promise }] } });
    assert.equal(app.warmscale.lifecycle.state, LifecycleState.Starting);
    await app.listen({ port: 0, host: '127.0.0.1' });

    assert.deepEqual(await probe('/startupz'), [
      503,
      { state: 'warming', warmup: { total: 1, done: 0, failed: [], running: 'prime cache', elapsedMs: 0 } },
    ]);
    assert.deepEqual(await probe('/readyz'), [503, { state: 'warming' }]);
    assert.equal((await probe('/livez'))[0], 200);

    gate.resolve();
    await app.warmscale.lifecycle.ready;
    const [startupStatus, startup] = await probe('/startupz');
    assert.equal(startupStatus, 200);
    assert.equal(startup.state, 'ready');
    assert.deepEqual((startup.warmup as { done: number; failed: string[] }).done, 1);
    assert.deepEqual(await probe('/readyz'), [200, { state: 'ready' }]);
    assert.deepEqual(await sampleLines(app, 'warmscale_lifecycle_state'), [
      'warmscale_lifecycle_state{state="starting"} 0',
      'warmscale_lifecycle_state{state="warming"} 0',
      'warmscale_lifecycle_state{state="ready"} 1',
      'warmscale_lifecycle_state{state="failed"} 0',
      'warmscale_lifecycle_state{state="draining"} 0',
      'warmscale_lifecycle_state{state="stopping"} 0',
      'warmscale_lifecycle_state{state="stopped"} 0',
    ]);
  });

  test('inject steps run the configured number of times and never reach httpserver_requests_total', async () => {
    let calls = 0;
    let maxConcurrent = 0;
    let concurrent = 0;
    await build();
    app.get('/cold', async () => {
      calls++;
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise((resolve) => setImmediate(resolve));
      concurrent--;
      return 'warm';
    });
    app.warmscale.addWarmupStep({ inject: { url: '/cold' }, times: 12, concurrency: 3 });
    app.warmscale.addWarmupStep({ inject: { url: '/cold' }, times: 4, transport: 'loopback' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;

    assert.equal(calls, 16);
    assert.equal(maxConcurrent, 3);
    await app.inject('/cold');
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/cold",status="200"} 1',
    ]);
    assert.deepEqual(await sampleLines(app, 'warmscale_warmup_steps_total'), [
      'warmscale_warmup_steps_total{outcome="succeeded"} 2',
    ]);
  });

  test('a client sending the warm-up header without the process secret is still counted', async () => {
    await build();
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.inject({ url: '/test', headers: { 'x-warmscale-warmup': 'guess' } });
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/test",status="200"} 1',
    ]);
  });

  test('a failing critical step keeps /startupz at 503 and exits 1 once the budget is spent', async () => {
    await build({
      warmup: {
        budgetMs: 300,
        steps: [{ name: 'open pool', run: () => Promise.reject(new Error('connection refused')) }],
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await assert.rejects(app.warmscale.lifecycle.ready, { message: 'a critical warm-up step failed' });
    const [status, body] = await probe('/startupz');
    assert.equal(status, 503);
    assert.equal(body.state, 'failed');
    assert.deepEqual((body.warmup as { failed: string[] }).failed, ['open pool']);
    assert.deepEqual(exits, []);
    assert.equal(await exited.promise, 1);
    assert.deepEqual(await sampleLines(app, 'warmscale_warmup_steps_total'), [
      'warmscale_warmup_steps_total{outcome="failed"} 1',
    ]);
  });

  test('a step answering an unexpected status fails; a non-critical failure lets warm-up go on', async () => {
    await build();
    app.get('/broken', async (_request, reply) => reply.code(500).send('no'));
    app.warmscale.addWarmupStep({ inject: { url: '/broken' }, critical: false });
    app.warmscale.addWarmupStep({
      name: 'slow and optional',
      run: () => new Promise(() => {}),
      timeoutMs: 50,
      critical: false,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    const [, body] = await probe('/startupz');
    assert.deepEqual((body.warmup as { failed: string[] }).failed, ['GET /broken', 'slow and optional']);
    assert.deepEqual(await sampleLines(app, 'warmscale_warmup_steps_total'), [
      'warmscale_warmup_steps_total{outcome="failed"} 1',
      'warmscale_warmup_steps_total{outcome="timed_out"} 1',
    ]);
  });

  test('warmup.enabled false goes ready at listen without running the steps', async () => {
    let ran = false;
    await build({
      warmup: {
        enabled: false,
        steps: [
          {
            name: 'x',
            run: () => {
              ran = true;
            },
          },
        ],
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    assert.equal(ran, false);
    assert.equal((await probe('/readyz'))[0], 200);
  });

  test('addWarmupStep after listen throws', async () => {
    await build();
    await app.listen({ port: 0, host: '127.0.0.1' });
    assert.throws(() => app.warmscale.addWarmupStep({ inject: { url: '/test' } }), {
      message: /^addWarmupStep must be called before the server listens \(state: (warming|ready)\)$/,
    });
  });
});

describe('readiness checks', () => {
  test('a critical check failing makes /readyz 503 with its error; a non-critical one is only reported', async () => {
    let dbUp = false;
    await build({
      readiness: {
        checks: [
          {
            name: 'db',
            check: async () => {
              if (!dbUp) throw new Error('ECONNREFUSED');
            },
            ttlMs: 0,
          },
          {
            name: 'cache',
            check: async () => {
              throw new Error('miss');
            },
            critical: false,
            ttlMs: 0,
          },
        ],
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    assert.deepEqual(await probe('/readyz'), [
      503,
      {
        state: 'ready',
        checks: {
          db: { ok: false, critical: true, error: 'ECONNREFUSED', ageMs: 0 },
          cache: { ok: false, critical: false, error: 'miss', ageMs: 0 },
        },
      },
    ]);
    dbUp = true;
    assert.equal((await probe('/readyz'))[0], 200);
    assert.equal((await probe('/livez'))[0], 200);
  });

  test('a hung check answers as timed out after its timeout and never hangs the probe', async () => {
    let aborted = false;
    await build({
      readiness: {
        checks: [
          {
            name: 'downstream',
            timeoutMs: 50,
            check: (signal) =>
              new Promise(() => {
                signal.addEventListener('abort', () => {
                  aborted = true;
                });
              }),
          },
        ],
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    const [status, body] = await probe('/readyz');
    assert.equal(status, 503);
    assert.deepEqual((body.checks as Record<string, unknown>).downstream, {
      ok: false,
      critical: true,
      error: 'timed out after 50 ms',
      ageMs: 0,
    });
    assert.equal(aborted, true);
  });

  test('concurrent probes share one run and results are reused for the TTL', async () => {
    let runs = 0;
    const gate = deferred();
    await build({
      readiness: {
        checks: [
          {
            name: 'db',
            ttlMs: 60_000,
            check: async () => {
              runs++;
              await gate.promise;
            },
          },
        ],
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    const probes = [probe('/readyz'), probe('/readyz'), probe('/readyz')];
    gate.resolve();
    assert.deepEqual(
      (await Promise.all(probes)).map(([status]) => status),
      [200, 200, 200],
    );
    assert.equal((await probe('/readyz'))[0], 200);
    assert.equal(runs, 1);
  });
});

describe('liveness', () => {
  test('markBroken turns /livez 503 with the reason; readiness is not liveness', async () => {
    await build();
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    app.warmscale.lifecycle.markBroken('heap corrupted');
    assert.deepEqual(await probe('/livez'), [503, { state: 'ready', broken: 'heap corrupted' }]);
    assert.equal((await probe('/readyz'))[0], 200);
  });

  test('an event loop stalled beyond maxEventLoopDelayMs turns /livez 503 for every caller, with the stall in the body', async () => {
    await build({ probes: { maxEventLoopDelayMs: 200 } });
    app.get('/block', async () => {
      const until = Date.now() + 400;
      while (Date.now() < until);
      return 'blocked';
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    await probe('/livez');
    // The delay monitor's 20 ms timer has set its baseline once a later timer has fired.
    await new Promise((resolve) => setTimeout(resolve, 25));
    await app.inject('/block');
    // The monitor records the stall when its overdue timer fires, in the timers phase of the next loop iteration,
    // which comes before the check phase of the second setImmediate.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const [status, body] = await probe('/livez');
    assert.equal(status, 503);
    assert.ok((body.eventLoopDelayMs as number) >= 400, `stall of ${body.eventLoopDelayMs} ms`);
    const [again, againBody] = await probe('/livez');
    assert.equal(again, 503);
    assert.equal(againBody.eventLoopDelayMs, body.eventLoopDelayMs);
  });

  test('probe paths and a separate probe port are configurable, and probes are never counted', async () => {
    await build({ probes: { readinessPath: '/health/ready', port: 0, host: '127.0.0.1' } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    assert.equal((await app.inject('/readyz')).statusCode, 404);
    assert.equal((await app.inject('/health/ready')).statusCode, 404);
    assert.ok(app.warmscale.probeServer);
    const { port } = app.warmscale.probeServer.address() as AddressInfo;
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { state: 'ready' });
    assert.equal((await fetch(`http://127.0.0.1:${port}/livez`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 404);
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 2',
    ]);
  });
});

describe('in-process shutdown', () => {
  test('shutdown() turns readiness 503 at once, serves during the delay, then closes and exits 0', async () => {
    await build({ shutdown: { delayMs: 100 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    const states: string[] = [];
    app.warmscale.lifecycle.on('state', (state) => states.push(state));
    const done = app.warmscale.shutdown('test');
    assert.equal(app.warmscale.lifecycle.drainingSignal.aborted, true);
    assert.deepEqual(await probe('/readyz'), [503, { state: 'draining' }]);
    assert.equal((await probe('/livez'))[0], 200);
    assert.equal((await probe('/startupz'))[0], 200);
    const agent = new Agent({ keepAlive: true });
    const served = await getOver(agent, (app.server.address() as AddressInfo).port);
    agent.destroy();
    assert.deepEqual([served.status, served.connection], [200, 'close']);
    await done;
    assert.deepEqual(exits, [0]);
    assert.deepEqual(states, ['draining', 'stopping', 'stopped']);
  });

  test('warmscale_shutdown_requests_total counts requests that arrive after the signal, not probes or scrapes', async () => {
    await build({ shutdown: { delayMs: 200 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    await app.inject('/test');
    const done = app.warmscale.shutdown('test');
    for (const url of ['/test', '/test', '/missing', '/readyz', '/livez', '/metrics']) await app.inject(url);
    assert.deepEqual(await sampleLines(app, 'warmscale_shutdown_requests_total'), [
      'warmscale_shutdown_requests_total 3',
    ]);
    await done;
  });

  test('a second shutdown exits 1 at once', async () => {
    await build({ shutdown: { delayMs: 10_000, drainTimeoutMs: 0 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    void app.warmscale.shutdown('first');
    await app.warmscale.shutdown('second');
    assert.deepEqual(exits, [1]);
  });

  test('close hooks that outlive shutdown.timeoutMs make the process exit 1', async () => {
    await build({ shutdown: { delayMs: 0, drainTimeoutMs: 0, timeoutMs: 100 } });
    app.addHook('onClose', () => new Promise((resolve) => setTimeout(resolve, 400)));
    await app.listen({ port: 0, host: '127.0.0.1' });
    void app.warmscale.shutdown('test');
    assert.equal(await exited.promise, 1);
  });
});

describe('connection recycling', () => {
  async function listen(options: WarmscaleOptionsInput): Promise<number> {
    await build(options);
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    return (app.server.address() as AddressInfo).port;
  }

  test('connections.maxRequests: the last response allowed on a connection says Connection: close', async () => {
    const port = await listen({ connections: { maxRequests: 3, maxAgeMs: 0 } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const responses = [];
      for (let i = 0; i < 4; i++) responses.push(await getOver(agent, port));
      assert.deepEqual(
        responses.map((response) => response.connection),
        ['keep-alive', 'keep-alive', 'close', 'keep-alive'],
      );
      assert.equal(responses[0]?.socket, responses[2]?.socket);
      assert.notEqual(responses[2]?.socket, responses[3]?.socket);
    } finally {
      agent.destroy();
    }
  });

  test('connections.maxAgeMs: the first response after the age is reached says Connection: close', async () => {
    const port = await listen({ connections: { maxRequests: 0, maxAgeMs: 50 } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await getOver(agent, port);
      await sleep(80);
      const aged = await getOver(agent, port);
      const next = await getOver(agent, port);
      assert.deepEqual([first.connection, aged.connection, next.connection], ['keep-alive', 'close', 'keep-alive']);
      assert.equal(first.socket, aged.socket);
      assert.notEqual(aged.socket, next.socket);
    } finally {
      agent.destroy();
    }
  });
});
