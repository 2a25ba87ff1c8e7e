import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Lifecycle } from './lifecycle.js';
import type { ConnectionOptions } from './options.js';

const kRecycleAt = Symbol('warmscale.recycleAt');
type TimedSocket = Socket & { [kRecycleAt]?: number };

/**
 * Ends keep-alive connections on purpose, with `Connection: close` on a response:
 * - after `maxRequests` requests or `maxAgeMs` on one connection, so clients reconnect and kube-proxy spreads them
 *   over the pods the HPA added (it balances connections, not requests: kubernetes/kubernetes#38456);
 * - on every response once shutdown has started, so clients leave a pod that is going away.
 *
 * This runs as a listener on the Node server, ahead of Fastify's handler, not as an `onRequest` hook: a Fastify hook
 * makes Fastify run its hook machinery on every request, which costs several times more than this check. Setting
 * `shouldKeepAlive` is what Node itself does for `maxRequestsPerSocket`. Requests made with `fastify.inject` do not pass through the
 * Node server and have no connection to close; nor do the extra servers Fastify opens when `listen` binds several
 * addresses (`localhost` on a dual-stack host), so listen on one address (`0.0.0.0` in a pod).
 */
export function registerConnectionPolicy(
  fastify: FastifyInstance,
  lifecycle: Lifecycle,
  options: ConnectionOptions,
): void {
  // Node sends `Connection: close` on the last allowed response itself.
  if (options.maxRequests > 0) fastify.server.maxRequestsPerSocket = options.maxRequests;
  const maxAgeMs = options.maxAgeMs;
  if (maxAgeMs > 0) {
    fastify.server.on('connection', (socket: TimedSocket) => {
      socket[kRecycleAt] = performance.now() + maxAgeMs;
    });
  }
  fastify.server.prependListener(
    'request',
    function closeConnectionWhenDue(request: IncomingMessage, response: ServerResponse) {
      if (lifecycle.shuttingDown) {
        response.shouldKeepAlive = false;
      } else if (maxAgeMs > 0) {
        const recycleAt = (request.socket as TimedSocket)[kRecycleAt];
        if (recycleAt !== undefined && performance.now() > recycleAt) response.shouldKeepAlive = false;
      }
    },
  );
}
