import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Lifecycle } from './lifecycle.js';
import type { ConnectionOptions } from './options.js';

const kRecycleAt = Symbol('warmscale.recycleAt');
/** `_httpMessage` is the response a Node HTTP socket is serving (Node's own field, set by `assignSocket`). */
type TimedSocket = Socket & { [kRecycleAt]?: number; _httpMessage?: ServerResponse | null };

/** Connection recycling and the drain-time `Connection: close`, for one or more Node servers. */
export interface ConnectionPolicy {
  /** Sets the server's per-socket request limit and stamps each new connection with its recycle time. */
  attach(server: Server): void;
  /** Decides, ahead of the application, whether this response closes its connection. */
  apply(request: IncomingMessage, response: ServerResponse): void;
}

/**
 * Ends keep-alive connections on purpose, with `Connection: close` on a response:
 * - after `maxRequests` requests or `maxAgeMs` on one connection, so clients reconnect and kube-proxy spreads them
 *   over the pods the HPA added (it balances connections, not requests: kubernetes/kubernetes#38456);
 * - on every response once shutdown has started, including those in flight at the signal, so clients leave a pod
 *   that is going away and no connection is left idle for the drain to wait on.
 *
 * `apply` runs on the Node server ahead of the framework (for Fastify as a prepended `request` listener, not an
 * `onRequest` hook, which would make Fastify run its hook machinery on every request). Setting `shouldKeepAlive` is
 * what Node itself does for `maxRequestsPerSocket`. Requests injected in process have no connection to close.
 */
export function createConnectionPolicy(lifecycle: Lifecycle, options: ConnectionOptions): ConnectionPolicy {
  const maxAgeMs = options.maxAgeMs;
  return {
    attach(server) {
      // Node sends `Connection: close` on the last allowed response itself.
      if (options.maxRequests > 0) server.maxRequestsPerSocket = options.maxRequests;
      const sockets = new Set<TimedSocket>();
      server.on('connection', function trackConnection(socket: TimedSocket) {
        if (maxAgeMs > 0) socket[kRecycleAt] = performance.now() + maxAgeMs;
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      lifecycle.once('draining', function closeInFlightConnections() {
        for (const socket of sockets) {
          const response = socket._httpMessage;
          if (response != null && !response.headersSent) response.shouldKeepAlive = false;
        }
      });
    },
    apply(request, response) {
      if (lifecycle.shuttingDown) {
        response.shouldKeepAlive = false;
      } else if (maxAgeMs > 0) {
        const recycleAt = (request.socket as TimedSocket)[kRecycleAt];
        if (recycleAt !== undefined && performance.now() > recycleAt) response.shouldKeepAlive = false;
      }
    },
  };
}
