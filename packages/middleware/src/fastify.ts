import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createWarmscale, type Warmscale } from './core.js';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, wantsOpenMetrics } from './exposition.js';
import { WarmscaleOptionError, type WarmscaleOptionsInput } from './options.js';
import { WARMUP_HEADER } from './warmup.js';

/** Options of the Fastify plugin: the settings, plus a close step for frameworks built on Fastify. */
export interface FastifyWarmscaleOptions extends WarmscaleOptionsInput {
  /**
   * Runs once Fastify has closed during the graceful shutdown, within `shutdown.timeoutMs` and before the exit: for a
   * framework that owns the Fastify instance, such as NestJS (`onClose: () => app.close()`). Plain Fastify
   * applications use `onClose` hooks.
   */
  readonly onClose?: () => unknown;
}

const kRoute = Symbol('warmscale.route');
const kRequest = Symbol('warmscale.fastifyRequest');
/** A raw request as Fastify routed it: its route template once its handler runs, and the Fastify request. */
type RoutedRequest = IncomingMessage & { [kRoute]?: string; [kRequest]?: FastifyRequest };

/**
 * The route template of a raw request: left by the wrapped route handler, or read from Fastify for a request answered
 * before its handler ran (a hook's reply, a validation or body error: `routeOptions` builds an object, so only then);
 * undefined when no route matched, or Fastify answered before routing.
 */
function routeOf(raw: IncomingMessage): string | undefined {
  const route = (raw as RoutedRequest)[kRoute];
  if (route !== undefined) return route;
  const request = (raw as RoutedRequest)[kRequest];
  return request === undefined || request.is404 ? undefined : request.routeOptions.url;
}

/**
 * The Fastify adapter: each route's handler leaves its template on the raw request, where the core counts the response
 * at the Node server (see `routeOf`); the probes and `/metrics` are routes, `inject` runs the warm-up, and Fastify's
 * `onReady`/`onListen`/`preClose`/`onClose` hooks drive the lifecycle.
 */
async function warmscalePlugin(fastify: FastifyInstance, input: FastifyWarmscaleOptions = {}): Promise<void> {
  if (fastify.hasDecorator('warmscale')) {
    throw new Error('@warmscale/middleware is already registered on this Fastify instance');
  }
  if (fastify.initialConfig.http2 === true) {
    throw new Error('@warmscale/middleware counts responses of HTTP/1.1 servers: Fastify with http2 is not supported');
  }
  // Anything but an object goes to the settings as it is, so their validation names it.
  const isObject = typeof input === 'object' && input !== null;
  const { onClose, ...settings } = isObject ? input : {};
  if (onClose !== undefined && typeof onClose !== 'function') {
    throw new WarmscaleOptionError(`onClose must be a function (got ${typeof onClose})`);
  }
  const core = createWarmscale(isObject ? settings : input, {
    log: fastify.log,
    async inject(request) {
      const response = await fastify.inject({
        method: request.method,
        url: request.url,
        headers: request.headers,
        ...(request.payload === undefined ? {} : { payload: request.payload }),
      });
      return response.statusCode;
    },
    server: () => fastify.server,
    async close() {
      await fastify.close();
      await onClose?.();
    },
    context: { fastify },
  });
  const { options } = core;

  const server = fastify.server;
  const { begin, countUnwatched } = core.watch(server, routeOf);
  // Registered with the plugin, so it runs ahead of the application's own onRequest hooks.
  fastify.addHook('onRequest', function keepRequest(request: FastifyRequest, reply: FastifyReply, done) {
    (request.raw as RoutedRequest)[kRequest] = request;
    countUnwatched(request.raw, reply.raw);
    done();
  });
  // Each route's handler leaves its template on the raw request: a constant, where `routeOptions` is built per call.
  fastify.addHook('onRoute', function markRouteTemplate(route) {
    const handler = route.handler;
    const url = route.url;
    route.handler = function handleRoute(this: FastifyInstance, request, reply) {
      (request.raw as RoutedRequest)[kRoute] = url;
      return handler.call(this, request, reply);
    };
  });

  // Warm-up requests log at `warn` like the probes, not one info line each before the pod is ready. Without a logger
  // (Fastify's null logger has no level) there is nothing to quiet, and a factory would cost every request a child.
  if (fastify.log.level !== undefined) {
    const childLoggerFactory = fastify.childLoggerFactory;
    fastify.setChildLoggerFactory(function quietWarmupRequests(logger, bindings, childOptions, rawRequest) {
      const quiet = rawRequest.headers[WARMUP_HEADER] !== undefined;
      return childLoggerFactory.call(
        this,
        logger,
        bindings,
        quiet ? { ...childOptions, level: 'warn' } : childOptions,
        rawRequest,
      );
    });
  }

  const metricsPath = core.mainPortMetricsPath;
  if (metricsPath !== null) {
    fastify.get(metricsPath, { logLevel: 'warn' }, async function serveMetrics(request, reply) {
      const openMetrics = wantsOpenMetrics(request.headers.accept);
      reply.header('content-type', openMetrics ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE);
      reply.header('cache-control', 'no-store');
      return core.metricsText(openMetrics);
    });
  }
  for (const [path, handler] of core.mainPortProbes) {
    fastify.get(path, { logLevel: 'warn' }, async function serveProbe(_request, reply) {
      const { status, body } = await handler();
      reply.code(status).header('cache-control', 'no-store');
      return body;
    });
  }

  // Fastify's own request listener runs only for the requests the connection policy admits (see connections.ts).
  const gate = core.gate;
  const [handleRequest] = server.listeners('request') as RequestListener[];
  if (handleRequest !== undefined) {
    server.removeListener('request', handleRequest);
    server.on('request', function admitRequest(request: IncomingMessage, response: ServerResponse) {
      const verdict = begin(request, response);
      if (verdict === 'serve') handleRequest.call(server, request, response);
      // Shed before Fastify routes it, so it costs no routing or hooks: counted under the unmatched route.
      else if (verdict !== 'drop') gate.shed(response, verdict);
    });
  }

  // The probe port opens in onReady, so a port clash fails `listen()` before the application accepts traffic.
  fastify.addHook('onReady', async function openProbePort() {
    await core.open();
  });
  fastify.addHook('onListen', function startLifecycle(done) {
    core.start();
    done();
  });
  fastify.addHook('preClose', function enterStopping(done) {
    core.closing();
    done();
  });
  fastify.addHook('onClose', async function enterStopped() {
    await core.closed();
  });

  fastify.decorate('warmscale', {
    registry: core.registry,
    metrics: core.metrics,
    metricsText: core.metricsText,
    lifecycle: core.lifecycle,
    options,
    probeServer: core.probeServer,
    metricsServer: core.metricsServer,
    addWarmupStep: core.addWarmupStep,
    shutdown: core.shutdown,
  } satisfies Warmscale);
}

/** The Fastify plugin. It counts routes registered before or after it. */
export const warmscale = fp(warmscalePlugin, {
  fastify: '5.x',
  name: '@warmscale/middleware',
});
