import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import warmscale, { LifecycleState, type WarmscaleOptionsInput } from '@warmscale/middleware';
import Fastify, { type FastifyInstance } from 'fastify';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A Fastify app whose JSON log lines are collected. */
async function appWithLog(options: WarmscaleOptionsInput): Promise<{ app: FastifyInstance; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const app = Fastify({ logger: { level: 'info', stream } });
  await app.register(warmscale, { ...options, shutdown: { signals: [], exit: () => {}, ...options.shutdown } });
  app.get('/users/:id', async () => 'user');
  return { app, lines };
}

test('warm-up requests do not log at info, while application requests do', async () => {
  const { app, lines } = await appWithLog({ warmup: { steps: [{ inject: { url: '/users/1' }, times: 5 }] } });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.warmscale.lifecycle.ready;
    assert.equal(lines.filter((line) => line.msg === 'incoming request').length, 0);
    await app.inject('/users/2');
    assert.equal(lines.filter((line) => line.msg === 'incoming request').length, 1);
  } finally {
    await app.close();
  }
});

test('start-up logs the resolved settings once, and every lifecycle transition', async () => {
  const { app, lines } = await appWithLog({ shutdown: { delayMs: 1234 }, warmup: { enabled: false } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  await app.warmscale.lifecycle.ready;
  await app.close();
  const settings = lines.filter((line) => line.msg === 'warmscale settings');
  assert.equal(settings.length, 1);
  const logged = settings[0]?.settings as Record<string, unknown>;
  assert.equal(logged['shutdown.delayMs'], 1234);
  assert.equal(logged['connections.maxRequests'], 1000);
  assert.equal(logged['warmup.enabled'], false);
  assert.deepEqual(
    lines.filter((line) => line.msg.startsWith('lifecycle: ')).map((line) => line.msg),
    [
      'lifecycle: starting -> warming',
      'lifecycle: warming -> ready',
      'lifecycle: ready -> stopping',
      'lifecycle: stopping -> stopped',
    ],
  );
});

test('with probes.port 0 the probe server listens, at a known port, when listen() resolves', async () => {
  const { app } = await appWithLog({ probes: { port: 0, host: '127.0.0.1' } });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const probeServer = app.warmscale.probeServer as Server;
    assert.equal(probeServer.listening, true);
    assert.notEqual((probeServer.address() as AddressInfo).port, 0);
  } finally {
    await app.close();
  }
});

test('a probe port already in use makes listen() reject, and the lifecycle never starts', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as AddressInfo;
  const { app } = await appWithLog({ probes: { port, host: '127.0.0.1' } });
  const signalListeners = process.listenerCount('SIGTERM');
  try {
    await assert.rejects(app.listen({ port: 0, host: '127.0.0.1' }), { code: 'EADDRINUSE' });
    assert.equal(app.warmscale.lifecycle.state, LifecycleState.Starting);
    assert.equal(app.server.listening, false);
    assert.equal(process.listenerCount('SIGTERM'), signalListeners);
  } finally {
    await app.close();
    await new Promise((resolve) => taken.close(resolve));
  }
});
