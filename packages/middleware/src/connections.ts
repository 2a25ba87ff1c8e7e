import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Lifecycle } from './lifecycle.js';
import type { ConnectionOptions } from './options.js';

const kOpenedAt = Symbol('warmscale.openedAt');
type TimedSocket = Socket & { [kOpenedAt]?: number };

/**
 * Ends keep-alive connections on purpose, with `Connection: close` on a response:
 * - after `maxRequests` requests or `maxAgeMs` on one connection, so clients reconnect and kube-proxy spreads them
 *   over the pods the HPA added (it balances connections, not requests: kubernetes/kubernetes#38456);
 * - on every response once shutdown has started, so clients leave a pod that is going away.
 * `onShutdownRequest` sees each request that arrives after the shutdown signal.
 */
export function registerConnectionPolicy(
  fastify: FastifyInstance,
  lifecycle: Lifecycle,
  options: ConnectionOptions,
  onShutdownRequest: (request: FastifyRequest) => void,
): void {
  // Node sends `Connection: close` on the last allowed response itself.
  if (options.maxRequests > 0) fastify.server.maxRequestsPerSocket = options.maxRequests;
  const maxAgeMs = options.maxAgeMs;
  if (maxAgeMs > 0) {
    fastify.server.on('connection', (socket: TimedSocket) => {
      socket[kOpenedAt] = performance.now();
    });
  }
  fastify.addHook('onRequest', function closeConnectionWhenDue(request, reply, done) {
    if (lifecycle.shuttingDown) {
      reply.header('connection', 'close');
      onShutdownRequest(request);
    } else if (maxAgeMs > 0) {
      const openedAt = (request.raw.socket as TimedSocket)[kOpenedAt];
      if (openedAt !== undefined && performance.now() - openedAt > maxAgeMs) reply.header('connection', 'close');
    }
    done();
  });
}
