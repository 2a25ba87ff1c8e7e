import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestGate, ShedReason } from './admission.js';
import { answeredClientError } from './client-errors.js';
import { CLIENT_CLOSED_REQUEST_CODE, type RequestRecorder } from './request-metrics.js';

/** Published by Node's HTTP server once a response has been written out (`_http_server.js`, `resOnFinish`). */
const RESPONSE_FINISH = 'http.server.response.finish';

interface ResponseFinish {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly socket: Socket;
  readonly server: Server;
}

/**
 * What `begin` notes about a request, read back when its response ends. Read from the request while its prototype is
 * still Node's: Express swaps it for its own, through which every inherited or absent property is a slow lookup.
 */
interface Tracked {
  readonly startedAt: number;
  readonly headers: IncomingHttpHeaders;
  readonly method: string;
  /** Set by the adapter for a request it answered itself (a probe, `/metrics`), else read with `routeOf`. */
  route: string | undefined;
}

const kTracked = Symbol('warmscale.tracked');
const kPending = Symbol('warmscale.pending');
type TrackedRequest = IncomingMessage & { [kTracked]?: Tracked | undefined };
type TrackedSocket = Socket & { [kPending]?: Set<ServerResponse> };

/** The route template of a request, read once its response ends; `undefined` counts it as unmatched. */
export type RouteOf = (request: IncomingMessage) => string | undefined;

export interface ResponseCounterOptions {
  readonly server: Server;
  readonly routeOf: RouteOf;
  readonly recorder: RequestRecorder;
  readonly gate: RequestGate;
  /** Runs after each counted response of the server. */
  readonly afterResponse?: () => void;
}

/** Counts the responses of one Node server, each once. */
export interface ResponseCounter {
  /**
   * Call ahead of the application for every request on the server, with `performance.now()`: starts its clock and
   * counts it in flight. Returns why admission control would shed it, or undefined to serve it.
   */
  begin(request: IncomingMessage, response: ServerResponse, now: number): ShedReason | undefined;
  /**
   * Counts, when its response finishes, a request this counter's server did not begin: one injected in process
   * (`fastify.inject`, light-my-request: warm-up requests too), or one on another server of the same application
   * (Fastify listens on one server per address when `localhost` resolves to two). Does nothing for the others.
   */
  countUnwatched(request: IncomingMessage, response: ServerResponse): void;
  /** Labels a request `begin` saw with a route of the adapter's own (a probe or `/metrics` path). */
  setRoute(request: IncomingMessage, route: string): void;
  /** Call when a connection of the server closes: the requests still in flight on it lost their client. */
  connectionClosed(socket: Socket): void;
  /** Stops counting (the server has closed). */
  close(): void;
}

/**
 * Counts every response at the Node server, whatever framework wrote it (a handler, a hook that replied early, the
 * router's own 400 or 404, admission control's 503), without a listener per request: one `diagnostics_channel`
 * subscription sees each response once it has been written out, and the connection's `close` tells the requests
 * whose client left first (counted 499, as nginx logs them, since they are load all the same). Requests pipelined on
 * one connection are tracked per connection, so each is counted once, by whichever comes first.
 */
function track(request: TrackedRequest, startedAt: number): Tracked {
  const tracked: Tracked = { startedAt, headers: request.headers, method: request.method ?? 'GET', route: undefined };
  request[kTracked] = tracked;
  return tracked;
}

export function countResponses(options: ResponseCounterOptions): ResponseCounter {
  const { server, routeOf, recorder, gate, afterResponse } = options;

  /** Counts one response and its request out of flight; a second call for the same request does nothing. */
  function end(request: TrackedRequest, response: ServerResponse, socket: Socket | null, clientLeft: boolean): void {
    const tracked = request[kTracked];
    if (tracked === undefined) return;
    request[kTracked] = undefined;
    gate.leave();
    (socket as TrackedSocket | null)?.[kPending]?.delete(response);
    // Node answered its malformed body with a client-error response, counted as such: the client got that one.
    if (answeredClientError(socket)) return;
    const route = tracked.route ?? routeOf(request);
    if (!clientLeft || response.writableEnded) {
      const elapsedMs = performance.now() - tracked.startedAt;
      recorder.record(tracked.headers, tracked.method, route, response.statusCode, elapsedMs);
    } else {
      recorder.record(tracked.headers, tracked.method, route, CLIENT_CLOSED_REQUEST_CODE, undefined);
    }
    afterResponse?.();
  }

  function onResponseFinish(message: unknown): void {
    const finish = message as ResponseFinish;
    if (finish.server === server) end(finish.request, finish.response, finish.socket, false);
  }
  subscribe(RESPONSE_FINISH, onResponseFinish);

  return {
    begin(request, response, now) {
      track(request, now);
      const socket = request.socket as TrackedSocket;
      const pending = socket[kPending];
      if (pending === undefined) socket[kPending] = new Set([response]);
      else pending.add(response);
      return gate.enter();
    },
    countUnwatched(request, response) {
      if ((request as TrackedRequest)[kTracked] !== undefined) return;
      const tracked = track(request, performance.now());
      // once: light-my-request's end() emits 'finish' itself, and Node's may emit it again.
      response.once('finish', () => {
        const elapsedMs = performance.now() - tracked.startedAt;
        const route = tracked.route ?? routeOf(request);
        recorder.record(tracked.headers, tracked.method, route, response.statusCode, elapsedMs);
      });
    },
    setRoute(request, route) {
      const tracked = (request as TrackedRequest)[kTracked];
      if (tracked !== undefined) tracked.route = route;
    },
    connectionClosed(socket) {
      const pending = (socket as TrackedSocket)[kPending];
      if (pending === undefined) return;
      for (const response of pending) end(response.req, response, socket, true);
    },
    close() {
      unsubscribe(RESPONSE_FINISH, onResponseFinish);
    },
  };
}
