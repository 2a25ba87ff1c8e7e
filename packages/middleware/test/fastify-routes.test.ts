// The Fastify adapter counts at the Node server: which route template each response is labelled with, over real
// sockets, whoever answered it (the handler, a hook, validation, the 404 handler).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { afterEach, test } from 'node:test';
import warmscale from '@warmscale/middleware';
import Fastify, { type FastifyInstance } from 'fastify';
import { sampleLines } from './helpers.js';

let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const quiet = { warmup: { enabled: false }, shutdown: { signals: [] } };

async function statusOf(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
}

test('a route declared before the plugin, a hook that answers, validation and the 404 handler keep their labels', async () => {
  app = Fastify();
  // Declared before the plugin: its handler is not wrapped, its template is read from Fastify instead.
  app.get('/early', async () => 'early');
  await app.register(warmscale, quiet);
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers.authorization === undefined && request.url.startsWith('/secret')) {
      return reply.code(401).send({ error: 'unauthorized' });
    }
  });
  app.get('/secret/:id', async () => 'secret');
  app.get(
    '/items/:id',
    { schema: { params: { type: 'object', properties: { id: { type: 'integer' } } } } },
    async () => 'item',
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const base = `http://127.0.0.1:${port}`;

  assert.deepEqual(
    [
      await statusOf(`${base}/early`),
      await statusOf(`${base}/secret/1`),
      await statusOf(`${base}/secret/1`, { headers: { authorization: 'x' } }),
      await statusOf(`${base}/items/abc`),
      await statusOf(`${base}/items/7`),
      await statusOf(`${base}/nowhere`),
    ],
    [200, 401, 200, 400, 200, 404],
  );
  assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
    'httpserver_requests_total{method="GET",route="/early",status="200"} 1',
    'httpserver_requests_total{method="GET",route="/secret/:id",status="401"} 1',
    'httpserver_requests_total{method="GET",route="/secret/:id",status="200"} 1',
    'httpserver_requests_total{method="GET",route="/items/:id",status="400"} 1',
    'httpserver_requests_total{method="GET",route="/items/:id",status="200"} 1',
    'httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 1',
  ]);
});

test('an onRequest hook registered before the plugin that answers itself is counted under the unmatched route', async () => {
  app = Fastify();
  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/limited') return reply.code(429).send({ error: 'slow down' });
  });
  await app.register(warmscale, quiet);
  app.get('/limited', async () => 'never');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };

  assert.equal(await statusOf(`http://127.0.0.1:${port}/limited`), 429);
  assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
    'httpserver_requests_total{method="GET",route="__unmatched__",status="429"} 1',
  ]);
});

test('requests reaching Fastify through another server (fastify.routing) and injected ones are counted once', async () => {
  app = Fastify();
  await app.register(warmscale, quiet);
  app.get('/users/:id', async () => 'user');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  // What Fastify does itself for the extra servers it opens when `listen` binds several addresses.
  const fastify = app;
  const other = createServer((request, response) => fastify.routing(request, response));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  try {
    const otherPort = (other.address() as { port: number }).port;
    assert.equal(await statusOf(`http://127.0.0.1:${port}/users/1`), 200);
    assert.equal(await statusOf(`http://127.0.0.1:${otherPort}/users/2`), 200);
    assert.equal((await app.inject('/users/3')).statusCode, 200);
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/users/:id",status="200"} 3',
    ]);
  } finally {
    other.closeAllConnections();
    await new Promise((resolve) => other.close(resolve));
  }
});

test('Fastify with http2 is refused at registration, naming the reason', async () => {
  const http2 = Fastify({ http2: true });
  // The plugin's types are HTTP/1.1's, as its counting is: a JavaScript caller can still try.
  http2.register(warmscale as never, quiet);
  await assert.rejects(async () => http2.ready(), {
    message: '@warmscale/middleware counts responses of HTTP/1.1 servers: Fastify with http2 is not supported',
  });
  await http2.close();
});
