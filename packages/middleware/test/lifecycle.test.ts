import assert from 'node:assert/strict';
import { once } from 'node:events';
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
    env: {},
    ...options,
    // No test here is about shedding: however loaded the machine, the event-loop guard must not answer their requests.
    admission: { maxEventLoopDelayMs: 0, ...options.admission },
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

/** GETs `path` on the listening app over `agent`; returns the status, the `Connection` header and the socket. */
async function getOver(
  agent: Agent,
  port: number,
  path = '/test',
): Promise<{ status: number | undefined; connection: string | undefined; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const request = httpGet({ host: '127.0.0.1', port, path, agent }, (response) => {
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

/** Resolves when the lifecycle enters `state` (at once if it is there already). */
async function reached(state: LifecycleState): Promise<void> {
  while (app.warmscale.lifecycle.state !== state) await once(app.warmscale.lifecycle, 'state');
}

/**
 * Resolves with `what` after `ms`, unless cancelled. Only a bug lets it win a race: the event raced against it follows
 * from a timer the code under test armed earlier for the same `ms`, and Node fires the timers of one duration in the
 * order they were armed (timers of different durations may fire out of order once both are overdue).
 */
function guard(ms: number, what: string): { readonly promise: Promise<string>; cancel(): void } {
  const controller = new AbortController();
  const promise = sleep(ms, what, { signal: controller.signal }).catch(() => 'cancelled');
  return { promise, cancel: () => controller.abort() };
}

/**
 * Lets the event-loop delay monitor (a 20 ms libuv timer) fire at least once from now on: 30 ms of busy CPU put its
 * next expiry in the past, so it fires in the timers phase of the next loop iteration, which comes before the check
 * phase that runs the second setImmediate. Waiting with a timer instead would race the monitor's own timer.
 */
async function letEventLoopMonitorFire(): Promise<void> {
  const until = Date.now() + 30;
  while (Date.now() < until);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
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

  test('a failing critical step keeps /startupz at 503 and exits 1 once the budget is spent', async (t) => {
    // A frozen clock: the step takes no time, so the exit is due exactly budgetMs after the failure.
    t.mock.method(performance, 'now', () => 1_000_000);
    const refuse = deferred();
    await build({
      warmup: {
        budgetMs: 300,
        steps: [
          {
            name: 'open pool',
            run: async () => {
              await refuse.promise;
              throw new Error('connection refused');
            },
          },
        ],
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    // Armed before the step fails, for the budget: it fires before the exit, armed at the failure for the budget too, and
    // what has exited is read right then.
    const exitsBeforeBudgetSpent = sleep(300).then(() => [...exits]);
    refuse.resolve();
    await assert.rejects(app.warmscale.lifecycle.ready, { message: 'a critical warm-up step failed' });
    // Only promise callbacks ran since the step failed, so no timer can have fired.
    assert.deepEqual(exits, []);
    const [status, body] = await probe('/startupz');
    assert.equal(status, 503);
    assert.equal(body.state, 'failed');
    assert.deepEqual((body.warmup as { failed: string[] }).failed, ['open pool']);
    assert.deepEqual(await exitsBeforeBudgetSpent, []);
    assert.equal(await exited.promise, 1);
    assert.deepEqual(exits, [1]);
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

  test("warmup.budgetMs cuts a step whose own timeoutMs is longer (regression: the budget no longer capped a step's timeout)", async (t) => {
    // A frozen clock: the step's budget share is then exactly budgetMs.
    t.mock.method(performance, 'now', () => 1_000_000);
    let reason: unknown;
    await build({
      warmup: {
        budgetMs: 50,
        steps: [
          {
            name: 'open pool',
            timeoutMs: 3_600_000,
            run: ({ signal }) =>
              new Promise((_resolve, reject) => {
                signal.addEventListener('abort', () => {
                  reason = signal.reason;
                  reject(signal.reason);
                });
              }),
          },
        ],
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    // The step's timer was armed at listen: capped by the budget, it is due in 50 ms and fails the warm-up first.
    const stuck = guard(50, 'the step outlived its 50 ms budget');
    const outcome = await Promise.race([
      app.warmscale.lifecycle.ready.then(
        () => 'ready',
        (error: Error) => error.message,
      ),
      stuck.promise,
    ]);
    stuck.cancel();
    assert.equal(outcome, 'a critical warm-up step failed');
    assert.equal((reason as Error).message, 'timed out after 50 ms');
    assert.deepEqual(await sampleLines(app, 'warmscale_warmup_steps_total'), [
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
  test('a critical check failing makes /readyz 503 with its error; a non-critical one is only reported', async (t) => {
    // A frozen clock for the checks' ages.
    t.mock.method(performance, 'now', () => 1_000_000);
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

  test('a hung check answers as timed out after its timeout and never hangs the probe', async (t) => {
    // A frozen clock for the check's age.
    t.mock.method(performance, 'now', () => 1_000_000);
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

  test('a check error longer than 200 characters is cut to 200 in the /readyz body', async (t) => {
    // A frozen clock for the checks' ages.
    t.mock.method(performance, 'now', () => 1_000_000);
    await build({
      readiness: {
        checks: [
          {
            name: 'db',
            ttlMs: 0,
            check: async () => {
              throw new Error(`${'a'.repeat(200)}${'b'.repeat(300)}`);
            },
          },
          {
            name: 'cache',
            ttlMs: 0,
            critical: false,
            check: async () => {
              throw new Error('c'.repeat(200));
            },
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
          db: { ok: false, critical: true, error: 'a'.repeat(200), ageMs: 0 },
          cache: { ok: false, critical: false, error: 'c'.repeat(200), ageMs: 0 },
        },
      },
    ]);
  });

  test('/livez never runs the readiness checks: a failing dependency leaves it 200 while warming, ready and draining', async () => {
    let runs = 0;
    const gate = deferred();
    await build({
      probes: { maxEventLoopDelayMs: 0 },
      warmup: { steps: [{ name: 'prime cache', run: () => gate.promise }] },
      readiness: {
        checks: [
          {
            name: 'db',
            ttlMs: 0,
            check: async () => {
              runs++;
              throw new Error('ECONNREFUSED');
            },
          },
        ],
      },
      shutdown: { delayMs: 3_600_000, drainTimeoutMs: 0, timeoutMs: 3_600_000 },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    assert.deepEqual(await probe('/livez'), [200, { state: 'warming' }]);
    gate.resolve();
    await app.warmscale.lifecycle.ready;
    assert.deepEqual(await probe('/livez'), [200, { state: 'ready' }]);
    assert.deepEqual(await probe('/livez'), [200, { state: 'ready' }]);
    assert.equal(runs, 0);
    assert.equal((await probe('/readyz'))[0], 503);
    assert.equal(runs, 1);
    const done = app.warmscale.shutdown('test');
    assert.deepEqual(await probe('/livez'), [200, { state: 'draining' }]);
    assert.equal(runs, 1);
    await app.close();
    await done;
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

  test('an event loop stalled beyond maxEventLoopDelayMs turns /livez 503 for every caller for 5 s, with the stall in the body', async (t) => {
    // The probe's clock, which times the 5 s; the event-loop monitor measures the stall on its own clock.
    let now = 1_000_000;
    t.mock.method(performance, 'now', () => now);
    await build({ probes: { maxEventLoopDelayMs: 200 } });
    app.get('/block', async () => {
      const until = Date.now() + 400;
      while (Date.now() < until);
      return 'blocked';
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    // Start from a clean slate: whatever stalled the loop before (start-up, a loaded machine) is reported and expires.
    await probe('/livez');
    now += 5000;
    // The monitor forgets its previous tick when liveness reads it: it measures the stall only from a tick after that.
    await letEventLoopMonitorFire();
    await app.inject('/block');
    // The tick that measures the stall is overdue now.
    await letEventLoopMonitorFire();
    const [status, body] = await probe('/livez');
    assert.equal(status, 503);
    assert.equal(body.state, 'ready');
    assert.ok((body.eventLoopDelayMs as number) >= 400, `stall of ${body.eventLoopDelayMs} ms`);
    now += 4999;
    assert.deepEqual(await probe('/livez'), [503, body]);
    now += 1;
    const [after, afterBody] = await probe('/livez');
    assert.equal(after, 200);
    assert.equal(afterBody.state, 'ready');
    assert.ok((afterBody.eventLoopDelayMs as number) <= 200, `delay of ${afterBody.eventLoopDelayMs} ms`);
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
    // A delay no test outlasts; closing the application ends it, as the last step below does.
    await build({ shutdown: { delayMs: 3_600_000, drainTimeoutMs: 0, timeoutMs: 3_600_000 } });
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
    assert.deepEqual(exits, []);
    await app.close();
    await done;
    assert.deepEqual(exits, [0]);
    assert.deepEqual(states, ['draining', 'stopping', 'stopped']);
  });

  test('warmscale_shutdown_requests_total counts requests that arrive after the signal, not probes or scrapes', async () => {
    await build({ shutdown: { delayMs: 3_600_000, drainTimeoutMs: 0, timeoutMs: 3_600_000 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    await app.inject('/test');
    const done = app.warmscale.shutdown('test');
    for (const url of ['/test', '/test', '/missing', '/readyz', '/livez', '/metrics']) {
      assert.equal((await app.inject(url)).statusCode, url === '/missing' ? 404 : url === '/readyz' ? 503 : 200, url);
    }
    assert.deepEqual(await sampleLines(app, 'warmscale_shutdown_requests_total'), [
      'warmscale_shutdown_requests_total 3',
    ]);
    await app.close();
    await done;
    assert.deepEqual(exits, [0]);
  });

  test('a second shutdown exits 1 at once', async () => {
    await build({ shutdown: { delayMs: 10_000, drainTimeoutMs: 0 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    void app.warmscale.shutdown('first');
    await app.warmscale.shutdown('second');
    assert.deepEqual(exits, [1]);
  });

  test('close hooks that outlive shutdown.timeoutMs make the process exit 1', async () => {
    const hook = deferred();
    await build({ shutdown: { delayMs: 0, drainTimeoutMs: 0, timeoutMs: 100 } });
    app.addHook('onClose', () => hook.promise);
    await app.listen({ port: 0, host: '127.0.0.1' });
    void app.warmscale.shutdown('test');
    assert.equal(await exited.promise, 1);
    hook.resolve();
  });

  test('shutdown.drainTimeoutMs cuts the connections still in flight when it runs out, then exits 0 (regression: the drain waited for them)', async () => {
    await build({ shutdown: { delayMs: 0, drainTimeoutMs: 50, timeoutMs: 3_600_000 } });
    const handling = deferred<Socket>();
    const answer = deferred();
    app.get('/hang', async (request) => {
      handling.resolve(request.raw.socket);
      await answer.promise;
      return 'too late';
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    const client = httpGet({ host: '127.0.0.1', port: (app.server.address() as AddressInfo).port, path: '/hang' });
    const outcome = new Promise<string>((resolve) => {
      client.on('response', (response) => resolve(`answered ${response.statusCode}`));
      client.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    const socket = await handling.promise;
    try {
      void app.warmscale.shutdown('test');
      // The drain timer is armed before the server starts closing, i.e. before the state turns `stopping`.
      await reached(LifecycleState.Stopping);
      const stuck = guard(50, 'still connected after the 50 ms drain timeout');
      const first = await Promise.race([outcome, stuck.promise]);
      stuck.cancel();
      // The cut is synchronous; the client may only not have read it yet.
      if (first !== 'ECONNRESET') assert.equal(socket.destroyed, true, first);
      assert.equal(await outcome, 'ECONNRESET');
      assert.equal(await exited.promise, 0);
      assert.equal(app.warmscale.lifecycle.state, LifecycleState.Stopped);
    } finally {
      client.destroy();
      answer.resolve();
    }
  });

  test('probes on their own port answer in the stopping state: startup and liveness 200, readiness 503', async () => {
    await build({
      probes: { port: 0, host: '127.0.0.1', maxEventLoopDelayMs: 0 },
      shutdown: { delayMs: 0, drainTimeoutMs: 3_600_000, timeoutMs: 3_600_000 },
    });
    const handling = deferred();
    const answer = deferred();
    app.get('/slow', async () => {
      handling.resolve();
      await answer.promise;
      return 'slow';
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    assert.ok(app.warmscale.probeServer);
    const probePort = (app.warmscale.probeServer.address() as AddressInfo).port;
    const probeOver = async (path: string): Promise<[number, unknown]> => {
      const response = await fetch(`http://127.0.0.1:${probePort}${path}`);
      return [response.status, await response.json()];
    };
    const agent = new Agent({ keepAlive: false });
    const slow = getOver(agent, (app.server.address() as AddressInfo).port, '/slow');
    await handling.promise;
    try {
      const done = app.warmscale.shutdown('test');
      // The in-flight request holds the server open, so the state stays `stopping` until it is answered.
      await reached(LifecycleState.Stopping);
      assert.deepEqual(await probeOver('/startupz'), [
        200,
        { state: 'stopping', warmup: { total: 0, done: 0, failed: [], elapsedMs: 0 } },
      ]);
      assert.deepEqual(await probeOver('/readyz'), [503, { state: 'stopping' }]);
      assert.deepEqual(await probeOver('/livez'), [200, { state: 'stopping' }]);
      assert.equal(app.warmscale.lifecycle.state, LifecycleState.Stopping);
      answer.resolve();
      assert.deepEqual(await slow.then((served) => [served.status, served.connection]), [200, 'close']);
      await done;
      assert.deepEqual(exits, [0]);
    } finally {
      answer.resolve();
      agent.destroy();
    }
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

  test('connections.maxAgeMs: the first response after the age is reached says Connection: close', async (t) => {
    // The connection policy's clock: frozen, and moved on by hand past the age limit.
    let now = 1_000_000;
    t.mock.method(performance, 'now', () => now);
    const port = await listen({ connections: { maxRequests: 0, maxAgeMs: 50 } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await getOver(agent, port);
      now += 100;
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
