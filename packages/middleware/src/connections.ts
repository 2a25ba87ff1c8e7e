import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Lifecycle } from './lifecycle.js';
import type { ConnectionOptions } from './options.js';

const kRecycleAt = Symbol('warmscale.recycleAt');
const kServed = Symbol('warmscale.served');
const kClosing = Symbol('warmscale.closing');
/** `_httpMessage` is the response a Node HTTP socket is serving (Node's own field, set by `assignSocket`). */
type TrackedSocket = Socket & {
  [kRecycleAt]?: number;
  [kServed]?: number;
  [kClosing]?: true;
  _httpMessage?: ServerResponse | null;
};

/** Connection recycling and the drain-time `Connection: close`, for one or more Node servers. */
export interface ConnectionPolicy {
  /** Stamps each new connection with its recycle time and tracks it for the drain; `closed` runs as each one closes. */
  attach(server: Server, closed: (socket: Socket) => void): void;
  /**
   * Runs ahead of the application for every request on a socket (`now`: `performance.now()`). Decides whether this response closes its
   * connection, and returns false for a request pipelined behind the response that closes it: that request gets no
   * response (the client retries it on a new connection) and must not reach the application.
   */
  admit(request: IncomingMessage, response: ServerResponse, now: number): boolean;
}

/**
 * Ends keep-alive connections on purpose, with `Connection: close` on a response:
 * - after `maxRequests` requests or `maxAgeMs` on one connection, so clients reconnect and kube-proxy spreads them
 *   over the pods the HPA added (it balances connections, not requests: kubernetes/kubernetes#38456);
 * - on every response once shutdown has started, including those in flight at the signal, so clients leave a pod
 *   that is going away and no connection is left idle for the drain to wait on.
 *
 * The count is kept here rather than with Node's `maxRequestsPerSocket`, because Node answers every request past that
 * limit with its own 503, which the application never sees (so it is never counted) and which clients see as
 * failures. Setting `shouldKeepAlive` is what Node itself does on the last allowed response. Requests injected in
 * process have no connection to close.
 */
/**
 * The age limit of one connection: `maxAgeMs` spread uniformly by `±jitter`, so clients that connected together (a
 * rollout, a scale-out) do not all reconnect in the same instant and move between pods in bursts.
 */
export function recycleAgeMs(maxAgeMs: number, jitter: number, random: () => number = Math.random): number {
  return maxAgeMs * (1 + jitter * (2 * random() - 1));
}

export function createConnectionPolicy(lifecycle: Lifecycle, options: ConnectionOptions): ConnectionPolicy {
  const { maxRequests, maxAgeMs, maxAgeJitter } = options;
  return {
    attach(server, closed) {
      const sockets = new Set<TrackedSocket>();
      function forgetConnection(this: TrackedSocket): void {
        sockets.delete(this);
        closed(this);
      }
      server.on('connection', function trackConnection(socket: TrackedSocket) {
        if (maxAgeMs > 0) socket[kRecycleAt] = performance.now() + recycleAgeMs(maxAgeMs, maxAgeJitter);
        sockets.add(socket);
        // A socket emits close once: `on` spares the wrapper `once` allocates per connection.
        socket.on('close', forgetConnection);
      });
      lifecycle.once('draining', function closeInFlightConnections() {
        for (const socket of sockets) {
          const response = socket._httpMessage;
          if (response != null && !response.headersSent) {
            response.shouldKeepAlive = false;
            socket[kClosing] = true;
          }
        }
      });
    },
    admit(request, response, now) {
      const socket = request.socket as TrackedSocket;
      if (socket[kClosing] === true) return false;
      const served = (socket[kServed] ?? 0) + 1;
      socket[kServed] = served;
      if (
        lifecycle.shuttingDown ||
        (maxRequests > 0 && served >= maxRequests) ||
        (maxAgeMs > 0 && now > (socket[kRecycleAt] as number))
      ) {
        response.shouldKeepAlive = false;
        socket[kClosing] = true;
      }
      return true;
    },
  };
}
