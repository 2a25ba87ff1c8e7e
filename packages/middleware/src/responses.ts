import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestGate, ShedReason } from './admission.js';
import { answeredClientError } from './client-errors.js';
import { CLIENT_CLOSED_REQUEST_CODE, type RequestRecorder } from './request-metrics.js';

/** Published by Node's HTTP server once a response has been written out (`_http_server.js`, `resOnFinish`). */
const RESPONSE_FINISH = 'http.server.response.finish';

interface ResponseFinish {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly server: Server;
}

const kStartedAt = Symbol('warmscale.startedAt');
const kPending = Symbol('warmscale.pending');
type TrackedRequest = IncomingMessage & { [kStartedAt]?: number };
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
   * counts it in flight.
   * Returns why admission control sheds it, or undefined to serve it.
   */
  begin(request: IncomingMessage, response: ServerResponse, now: number): ShedReason | undefined;
  /**
   * Counts, when its response finishes, a request no server began: one injected in process (`fastify.inject`,
   * light-my-request), such as a warm-up request. Does nothing for a request the server began.
   */
  countInjected(request: IncomingMessage, response: ServerResponse): void;
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
export function countResponses(options: ResponseCounterOptions): ResponseCounter {
  const { server, routeOf, recorder, gate, afterResponse } = options;

  /** Counts one response and its request out of flight; a second call for the same request does nothing. */
  function end(response: ServerResponse, clientLeft: boolean): void {
    const request = response.req as TrackedRequest;
    const startedAt = request[kStartedAt];
    if (startedAt === undefined) return;
    request[kStartedAt] = undefined;
    gate.leave();
    const socket = request.socket as TrackedSocket | null;
    socket?.[kPending]?.delete(response);
    // Node answered its malformed body with a client-error response, counted as such: the client got that one.
    if (answeredClientError(socket)) return;
    const route = routeOf(request);
    if (!clientLeft || response.writableEnded) {
      recorder.record(
        request.headers,
        request.method ?? 'GET',
        route,
        response.statusCode,
        performance.now() - startedAt,
      );
    } else {
      recorder.record(request.headers, request.method ?? 'GET', route, CLIENT_CLOSED_REQUEST_CODE, undefined);
    }
    afterResponse?.();
  }

  function onResponseFinish(message: unknown): void {
    const finish = message as ResponseFinish;
    if (finish.server === server) end(finish.response, false);
  }
  subscribe(RESPONSE_FINISH, onResponseFinish);

  return {
    begin(request, response, now) {
      (request as TrackedRequest)[kStartedAt] = now;
      const socket = request.socket as TrackedSocket;
      const pending = socket[kPending];
      if (pending === undefined) socket[kPending] = new Set([response]);
      else pending.add(response);
      return gate.enter();
    },
    countInjected(request, response) {
      if ((request as TrackedRequest)[kStartedAt] !== undefined) return;
      const startedAt = performance.now();
      // once: light-my-request's end() emits 'finish' itself, and Node's may emit it again.
      response.once('finish', () => {
        recorder.record(
          request.headers,
          request.method ?? 'GET',
          routeOf(request),
          response.statusCode,
          performance.now() - startedAt,
        );
      });
    },
    connectionClosed(socket) {
      const pending = (socket as TrackedSocket)[kPending];
      if (pending === undefined) return;
      for (const response of pending) end(response, true);
    },
    close() {
      unsubscribe(RESPONSE_FINISH, onResponseFinish);
    },
  };
}
