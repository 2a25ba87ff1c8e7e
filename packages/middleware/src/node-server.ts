import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { inject } from 'light-my-request';
import { pino } from 'pino';
import { answerClientErrors } from './client-errors.js';
import { createWarmscale, type Warmscale, type WarmscaleCore } from './core.js';
import { exitAfterFlush, type Logger } from './logger.js';
import type { WarmscaleOptionsInput } from './options.js';
import { pathOf, writeProbe } from './probes.js';
import type { RouteOf } from './responses.js';
import { LifecycleState } from './states.js';

/** Options of the Express and node:http adapters: the settings, plus how to reach the application. */
export interface NodeServerOptions extends WarmscaleOptionsInput {
  /** A pino-style logger (pino, a child logger, Fastify's); `false` logs nothing. @defaultValue a pino logger on stdout */
  readonly logger?: Logger | false;
  /** Runs once the server has closed during shutdown (close pools, flush queues), before the process exits. */
  readonly onClose?: () => unknown;
}

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

const silent: Logger = { info() {}, warn() {}, error() {} };

/**
 * The adapter for anything that is a Node request listener (node:http handlers, Express, Koa's `callback()`): the
 * adapter owns the `http.Server`, answers the probes and `/metrics` ahead of the application, counts each response
 * at the server (see responses.ts; 499 when the client left before the response ended), warms up through `light-my-request` on the
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
  const { lifecycle, gate } = core;

  const internal = new Map<string, (request: IncomingMessage, response: ServerResponse) => void>();
  if (core.mainPortMetricsPath !== null) internal.set(core.mainPortMetricsPath, core.serveMetrics);
  for (const [path, probe] of core.mainPortProbes)
    internal.set(path, (_request, response) => void writeProbe(probe, response));

  /**
   * A request on the server: probes and `/metrics` first (never shed), then admission control, then the application.
   * The core counts its response once it is written out, or as 499 when its client leaves first.
   */
  function handler(request: IncomingMessage, response: ServerResponse): void {
    const verdict = begin(request, response);
    if (verdict === 'drop' || serveInternal(request, response)) return;
    if (verdict === 'serve') app(request, response);
    else gate.shed(response, verdict);
  }

  /** A warm-up request through `light-my-request`: counted when it finishes (no server sees it), never shed. */
  function handleInjected(request: IncomingMessage, response: ServerResponse): void {
    countUnwatched(request, response);
    if (!serveInternal(request, response)) app(request, response);
  }

  function serveInternal(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const path = pathOf(request.url);
    const serve = internal.get(path);
    if (serve === undefined) return false;
    setRoute(request, path);
    serve(request, response);
    return true;
  }

  const server = createServer(handler);
  // server.close() closes the connections idle at that moment; a keep-alive connection whose last response ends
  // later is closed after it, so the drain does not wait for its keep-alive timeout.
  const { begin, countUnwatched, setRoute } = core.watch(server, routeOf, () => {
    if (lifecycle.state === LifecycleState.Stopping) server.closeIdleConnections();
  });
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
