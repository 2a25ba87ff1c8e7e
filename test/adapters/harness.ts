/**
 * One application, built on every adapter: the same routes, so one behavioural suite can run against each.
 * - `GET /test` -> 200 `OK`; `GET /users/:id` -> 200 JSON; `GET /bad` -> 400 JSON; `GET /fail` -> the framework's 500;
 * - `GET /slow` -> waits for `release()`, then 200 (for aborts and in-flight drains).
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import warmscale, { type Warmscale, type WarmscaleOptionsInput } from '@warmscale/middleware';
import { warmscale as warmscaleExpress } from '@warmscale/middleware/express';
import { warmscale as warmscaleHttp } from '@warmscale/middleware/http';
import Fastify from 'fastify';

const require = createRequire(import.meta.url);
type Express = typeof import('express');

export interface RunningApp {
  readonly url: string;
  readonly ws: Warmscale;
  /** Answers every waiting `/slow` request. */
  release(): void;
  /** How many `/slow` requests the handler has started. */
  slowStarted(): number;
  close(): Promise<void>;
}

export interface Adapter {
  readonly name: string;
  /** Builds the app with `options`, listens on 127.0.0.1:0 (unless `listen` is false). */
  start(options: WarmscaleOptionsInput, listen?: boolean): Promise<RunningApp>;
}

function slowGate() {
  let waiting: Array<() => void> = [];
  let started = 0;
  return {
    wait: () =>
      new Promise<void>((resolve) => {
        started++;
        waiting.push(resolve);
      }),
    release() {
      for (const resolve of waiting) resolve();
      waiting = [];
    },
    started: () => started,
  };
}

const fastifyAdapter: Adapter = {
  name: 'fastify',
  async start(options, listen = true) {
    const gate = slowGate();
    const app = Fastify();
    await app.register(warmscale, options);
    app.get('/test', async () => 'OK');
    app.get('/users/:id', async (request) => ({ id: (request.params as { id: string }).id }));
    app.get('/bad', async (_request, reply) => reply.code(400).send({ error: 'bad' }));
    app.get('/fail', async () => {
      throw new Error('boom');
    });
    app.get('/slow', async () => {
      await gate.wait();
      return 'slow';
    });
    if (listen) await app.listen({ port: 0, host: '127.0.0.1' });
    else await app.ready();
    const port = listen ? (app.server.address() as AddressInfo).port : 0;
    return {
      url: `http://127.0.0.1:${port}`,
      ws: app.warmscale,
      release: gate.release,
      slowStarted: gate.started,
      close: () => app.close(),
    };
  },
};

function expressAdapter(name: string, module: string): Adapter {
  return {
    name,
    async start(options, listen = true) {
      const express = require(module) as Express;
      const gate = slowGate();
      const app = express();
      const ws = warmscaleExpress(app, { ...options, logger: false });
      app.get('/test', (_request, response) => {
        response.send('OK');
      });
      const users = express.Router();
      users.get('/:id', (request, response) => {
        response.json({ id: request.params.id });
      });
      app.use('/users', users);
      app.get('/bad', (_request, response) => {
        response.status(400).json({ error: 'bad' });
      });
      app.get('/fail', () => {
        throw new Error('boom');
      });
      app.get('/slow', (_request, response) => {
        void gate.wait().then(() => response.send('slow'));
      });
      // Express's default error handler logs the stack of /fail to stderr; keep test output clean.
      app.use(
        (
          _error: unknown,
          _request: unknown,
          response: { status(code: number): { send(body: string): void } },
          _next: unknown,
        ) => {
          response.status(500).send('Internal Server Error');
        },
      );
      const server = listen ? await ws.listen(0, '127.0.0.1') : ws.server;
      const port = listen ? (server.address() as AddressInfo).port : 0;
      return { url: `http://127.0.0.1:${port}`, ws, release: gate.release, slowStarted: gate.started, close: ws.close };
    },
  };
}

/** node:http with a two-line router: the route template comes from the `route` option. */
const httpAdapter: Adapter = {
  name: 'node:http',
  async start(options, listen = true) {
    const gate = slowGate();
    const routes: ReadonlyArray<[RegExp, string]> = [
      [/^\/test$/, '/test'],
      [/^\/users\/[^/]+$/, '/users/:id'],
      [/^\/bad$/, '/bad'],
      [/^\/fail$/, '/fail'],
      [/^\/slow$/, '/slow'],
    ];
    const routeOf = (url = '/'): string | undefined =>
      routes.find(([pattern]) => pattern.test(url.split('?')[0] ?? ''))?.[1];
    const ws = warmscaleHttp(
      (request, response) => {
        const route = routeOf(request.url);
        if (route === '/test') response.end('OK');
        else if (route === '/users/:id') response.end(JSON.stringify({ id: request.url?.split(/[/?]/)[2] }));
        else if (route === '/bad') response.writeHead(400).end('{"error":"bad"}');
        else if (route === '/fail') response.writeHead(500).end('{"error":"boom"}');
        else if (route === '/slow') void gate.wait().then(() => response.end('slow'));
        else response.writeHead(404).end('{"error":"Not Found"}');
      },
      { ...options, logger: false, route: (request) => routeOf(request.url) },
    );
    const server = listen ? await ws.listen(0, '127.0.0.1') : ws.server;
    const port = listen ? (server.address() as AddressInfo).port : 0;
    return { url: `http://127.0.0.1:${port}`, ws, release: gate.release, slowStarted: gate.started, close: ws.close };
  },
};

export const ADAPTERS: readonly Adapter[] = [
  fastifyAdapter,
  expressAdapter('express 4', 'express4'),
  expressAdapter('express 5', 'express5'),
  httpAdapter,
];
