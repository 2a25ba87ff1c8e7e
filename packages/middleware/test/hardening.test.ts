/** Regression tests for what an adversarial review broke, each named after the defect. */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, test } from 'node:test';
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises';
import warmscale, { LifecycleState, type WarmscaleOptionsInput } from '@warmscale/middleware';
import Fastify, { type FastifyInstance } from 'fastify';
import { Gauge, Registry } from 'prom-client';

let app: FastifyInstance | undefined;

afterEach(async () => {
  if (app !== undefined && app.warmscale?.lifecycle.state !== LifecycleState.Stopped) await app.close();
  app = undefined;
});

async function register(options: WarmscaleOptionsInput): Promise<FastifyInstance> {
  app = Fastify();
  await app.register(warmscale, { ...options, shutdown: { signals: [], exit: () => {}, ...options.shutdown } });
  await app.ready();
  return app;
}

test('regression: a metric name clash surfaced as a plain Error; now a WarmscaleOptionError naming the option', async () => {
  const registry = new Registry();
  new Gauge({ name: 'app_requests_total', help: 'taken', registers: [registry] });
  await assert.rejects(
    register({ registry, metrics: { requestsTotalName: 'app_requests_total', defaultMetrics: false } }),
    {
      name: 'WarmscaleOptionError',
      message: 'metrics.requestsTotalName must not name a metric the registry already holds (got "app_requests_total")',
    },
  );
});

test('regression: SIGTERM during warm-up kept injecting warm-up requests while draining', async () => {
  let warmupCalls = 0;
  app = Fastify();
  await app.register(warmscale, {
    warmup: { steps: [{ inject: { url: '/slow-to-warm' }, times: 1000 }] },
    shutdown: { signals: [], delayMs: 0, exit: () => {} },
  });
  const instance = app;
  instance.get('/slow-to-warm', async () => {
    warmupCalls++;
    if (warmupCalls === 3) void instance.warmscale.shutdown('test');
    return 'warm';
  });
  await instance.listen({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => instance.warmscale.lifecycle.on('state', (s) => s === 'stopped' && resolve()));
  assert.equal(warmupCalls, 3);
  const steps = (await instance.warmscale.registry.getSingleMetric('warmscale_warmup_steps_total')?.get())?.values;
  assert.deepEqual(
    steps?.map((sample) => [sample.labels.outcome, sample.value]),
    [['cancelled', 1]],
  );
});

test('regression: /livez after an event-loop stall answered 503 to the first caller only', async () => {
  const instance = await register({ probes: { maxEventLoopDelayMs: 50 }, warmup: { enabled: false } });
  await instance.listen({ port: 0, host: '127.0.0.1' });
  const first = await instance.inject('/livez');
  assert.equal(first.statusCode, 200);
  // The delay monitor's 20 ms timer has set its baseline once a later timer has fired.
  await sleep(25);
  const until = performance.now() + 150;
  while (performance.now() < until);
  // The monitor records the stall when its overdue timer fires: in the timers phase of the next loop iteration,
  // which comes before the check phase of the second setImmediate.
  await tick();
  await tick();
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push((await instance.inject('/livez')).statusCode);
  assert.deepEqual(answers, [503, 503, 503]);
});

test('regression: concurrent scrapes each rendered the registry; now they share one render', async () => {
  let collected = 0;
  const registry = new Registry();
  new Gauge({
    name: 'app_render_count',
    help: 'how many times the registry was rendered',
    registers: [registry],
    collect() {
      collected++;
      this.set(collected);
    },
  });
  const instance = await register({ registry, metrics: { defaultMetrics: false } });
  const bodies = await Promise.all(Array.from({ length: 20 }, () => instance.warmscale.metricsText()));
  assert.equal(collected, 1);
  assert.equal(new Set(bodies).size, 1);
  await instance.warmscale.metricsText();
  assert.equal(collected, 2);
});

test('metrics.port serves /metrics on its own server, and the application port no longer does', async () => {
  const instance = await register({ metrics: { port: 0, host: '127.0.0.1' }, warmup: { enabled: false } });
  await instance.listen({ port: 0, host: '127.0.0.1' });
  assert.equal((await instance.inject('/metrics')).statusCode, 404);
  const metricsServer = instance.warmscale.metricsServer as Server;
  assert.notEqual(metricsServer, undefined);
  assert.notEqual(metricsServer, instance.warmscale.probeServer);
  const { port } = metricsServer.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  assert.match(await response.text(), /^# HELP /);
  assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 404);
  const exposition = await instance.warmscale.metricsText();
  assert.deepEqual(
    exposition.split('\n').filter((line) => line.startsWith('httpserver_requests_total{')),
    ['httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 1'],
  );
});

test('metrics.port equal to probes.port: one server answers the probes and /metrics', async () => {
  const probe = (await import('node:net')).createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  const instance = await register({
    metrics: { port, host: '127.0.0.1' },
    probes: { port, host: '127.0.0.1' },
    warmup: { enabled: false },
  });
  await instance.listen({ port: 0, host: '127.0.0.1' });
  assert.equal(instance.warmscale.metricsServer, instance.warmscale.probeServer);
  assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${port}/livez`)).status, 200);
});
