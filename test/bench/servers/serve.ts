import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import { HELLO_PATH, ROUTE_COUNT, routePath } from '../routes.js';

export interface ServeOptions {
  /** Registers the plugin under test, before the routes (fastify-metrics only sees routes added after it). */
  readonly plugins?: (app: FastifyInstance) => PromiseLike<unknown>;
  /** Replaces Fastify's HTTP server, e.g. to wrap each request in a trace span. */
  readonly serverFactory?: FastifyServerFactory;
}

/** The hello route and the {@link ROUTE_COUNT} routes that answer the status their `status` query asks for. */
export function addBenchRoutes(app: FastifyInstance): void {
  app.get(HELLO_PATH, async () => 'hello');
  for (let index = 0; index < ROUTE_COUNT; index++) {
    app.get(routePath(index), async (request, reply) => {
      const { status } = request.query as { status?: string };
      reply.code(Number(status ?? 200));
      return 'ok';
    });
  }
}

/**
 * Starts one benchmark server variant on 127.0.0.1 and an ephemeral port, and prints `{"port":N}` as its first
 * stdout line. Every variant serves the same routes, so their costs differ only by the plugin under test.
 */
export async function serve(options: ServeOptions = {}): Promise<void> {
  const app = Fastify({ logger: false, serverFactory: options.serverFactory });
  await options.plugins?.(app);
  addBenchRoutes(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  announce(app.server);
}

/**
 * Prints the listening server's `{"port":N}` as the first stdout line, and exits when the orchestrator goes away (it
 * holds our stdin open).
 */
export function announce(server: Server): void {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
}

/** The hello route of a plain `node:http` listener (the other paths answer 404), for the node:http variants. */
export function helloListener(request: IncomingMessage, response: ServerResponse): void {
  if (request.url === HELLO_PATH) {
    response.setHeader('content-type', 'text/plain; charset=utf-8');
    response.end('hello');
  } else {
    response.statusCode = 404;
    response.end();
  }
}
