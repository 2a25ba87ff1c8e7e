import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { inject } from 'light-my-request';
import { pino } from 'pino';
import { answerClientErrors, answeredClientError } from './client-errors.js';
import { createWarmscale, type Warmscale, type WarmscaleCore } from './core.js';
import { exitAfterFlush, type Logger } from './logger.js';
import type { WarmscaleOptionsInput } from './options.js';
import { pathOf, writeProbe } from './probes.js';
import { CLIENT_CLOSED_REQUEST_CODE } from './request-metrics.js';
import { LifecycleState } from './states.js';

/** Options of the Express and node:http adapters: the settings, plus how to reach the application. */
export interface NodeServerOptions extends WarmscaleOptionsInput {
  /** A pino-style logger (pino, a child logger, Fastify's); `false` logs nothing. @defaultValue a pino logger on stdout */
  readonly logger?: Logger | false;
  /** Runs once the server has closed during shutdown (close pools, flush queues), before the process exits. */
  readonly onClose?: () => unknown;
}

/** The route template of a request, read once its response ends; `undefined` counts it as unmatched. */
export type RouteOf = (request: IncomingMessage) => string | undefined;

/** What the Express and node:http adapters return: the common API plus the server they run. */
export interface WarmscaleServer extends Warmscale {
  /** The Node server, created by the adapter, serving `handler`. */
  readonly server: Server;
  /** The request listener: probes and `/metrics` first, counting and connection recycling around the application. */
  readonly handler: RequestListener;
  /** Opens the probe port (if any) and listens; resolves once both listen, rejects if either cannot. */
  listen(port?: number, host?: string): Promise<Server>;
  /** Stops accepting, waits for in-flight requests, runs `onClose`; the lifecycle ends `stopped`. No exit. */
  close(): Promise<void>;
}

const kStartedAt = Symbol('warmscale.startedAt');
const kInternalRoute = Symbol('warmscale.internalRoute');
type TimedResponse = ServerResponse & { [kStartedAt]?: number };
type MarkedRequest = IncomingMessage & { [kInternalRoute]?: string };

const silent: Logger = { info() {}, warn() {}, error() {} };

/**
 * The adapter for anything that is a Node request listener (node:http handlers, Express, Koa's `callback()`): the
 * adapter owns the `http.Server`, answers the probes and `/metrics` ahead of the application, counts each response
 * when it closes (499 when the client left before the response ended), warms up through `light-my-request` on the
 * same listener, and drains by closing the server.
 */
export function createNodeServer(
  app: RequestListener,
  routeOf: RouteOf,
  input: NodeServerOptions = {},
): WarmscaleServer {
  const { logger, onClose, ...settings } = input;
  const log: Logger = logger === false ? silent : (logger ?? pino());
  let closing: Promise<void> | undefined;
  const core: WarmscaleCore = createWarmscale(settings, {
    log,
    async inject(request) {
      const response = await inject(handleInjected, {
        method: request.method,
        url: request.url,
        headers: request.headers,
        ...(request.payload === undefined ? {} : { payload: request.payload }),
      });
      return response.statusCode;
    },
    server: () => server,
    close,
    context: {},
  });
  const { recorder, connections, lifecycle, gate } = core;

  const internal = new Map<string, (request: IncomingMessage, response: ServerResponse) => void>();
  if (core.mainPortMetricsPath !== null) internal.set(core.mainPortMetricsPath, core.serveMetrics);
  for (const [path, probe] of core.mainPortProbes)
    internal.set(path, (_request, response) => void writeProbe(probe, response));

  function recordResponse(this: TimedResponse): void {
    const request = this.req as MarkedRequest;
    gate.leave(request);
    const ended = this.writableEnded;
    // A malformed body ended this request with a client-error response, already counted.
    if (!ended && answeredClientError(request.socket)) return;
    recorder.record(
      request.headers,
      request.method ?? 'GET',
      request[kInternalRoute] ?? routeOf(request),
      ended ? this.statusCode : CLIENT_CLOSED_REQUEST_CODE,
      ended ? performance.now() - (this[kStartedAt] ?? 0) : undefined,
    );
    // server.close() closes the connections idle at that moment; a keep-alive connection whose last response ends
    // later is closed here, so the drain does not wait for its keep-alive timeout.
    if (lifecycle.state === LifecycleState.Stopping) server.closeIdleConnections();
  }

  /**
   * A request on the server: probes and `/metrics` first (never shed), then admission control, then the application.
   * It is counted when its response closes, which is also when a client that left is noticed.
   */
  function handler(request: IncomingMessage, response: ServerResponse): void {
    if (!connections.admit(request, response)) return;
    response.on('close', recordResponse);
    (response as TimedResponse)[kStartedAt] = performance.now();
    const shed = gate.enter(request);
    if (serveInternal(request, response)) return;
    if (shed === undefined || core.isWarmup(request.headers)) app(request, response);
    else gate.shed(request, response, shed);
  }

  /**
   * A warm-up request through `light-my-request`: it has no socket to lose, and Express swaps the prototype of the
   * fake response so it never emits `close`; it is counted when it finishes, and never shed.
   */
  function handleInjected(request: IncomingMessage, response: ServerResponse): void {
    // once: light-my-request's end() emits 'finish' itself, and Node emits it again.
    response.once('finish', recordResponse);
    (response as TimedResponse)[kStartedAt] = performance.now();
    if (!serveInternal(request, response)) app(request, response);
  }

  function serveInternal(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const path = pathOf(request.url);
    const serve = internal.get(path);
    if (serve === undefined) return false;
    (request as MarkedRequest)[kInternalRoute] = path;
    serve(request, response);
    return true;
  }

  const server = createServer(handler);
  connections.attach(server);
  core.countClientErrors(server);
  answerClientErrors(server);
  server.on('listening', () => {
    core.open().then(core.start, (error: unknown) => {
      log.error({ err: error }, 'the probe port cannot listen: exiting 1');
      server.close();
      exitAfterFlush(log, core.options.shutdown.exit, 1);
    });
  });

  function close(): Promise<void> {
    closing ??= (async () => {
      core.closing();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
      await onClose?.();
      await core.closed();
    })();
    return closing;
  }

  return {
    registry: core.registry,
    metrics: core.metrics,
    metricsText: core.metricsText,
    lifecycle,
    options: core.options,
    probeServer: core.probeServer,
    metricsServer: core.metricsServer,
    addWarmupStep: core.addWarmupStep,
    shutdown: core.shutdown,
    server,
    handler,
    close,
    async listen(port = 0, host?: string) {
      await core.open();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server;
    },
  };
}
