import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { answeredClientError } from './client-errors.js';
import { createWarmscale, type Warmscale } from './core.js';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, wantsOpenMetrics } from './exposition.js';
import { WarmscaleOptionError, type WarmscaleOptionsInput } from './options.js';
import { pathOf } from './probes.js';
import { CLIENT_CLOSED_REQUEST_CODE } from './request-metrics.js';
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

const kRecorded = Symbol('warmscale.recorded');
type TrackedRequest = FastifyRequest & { [kRecorded]?: true };

/** The route template Fastify matched; undefined for its 404 handler. */
function routeOf(request: FastifyRequest): string | undefined {
  return request.is404 ? undefined : request.routeOptions.url;
}

/**
 * The Fastify adapter: Fastify's route template (`routeOptions.url`, unmatched when `is404`), `onResponse` and
 * `onRequestAbort` hooks for counting, the probes and `/metrics` as routes, `inject` for warm-up, and Fastify's
 * `onReady`/`onListen`/`preClose`/`onClose` hooks for the lifecycle.
 */
async function warmscalePlugin(fastify: FastifyInstance, input: FastifyWarmscaleOptions = {}): Promise<void> {
  if (fastify.hasDecorator('warmscale')) {
    throw new Error('@warmscale/middleware is already registered on this Fastify instance');
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
  const { recorder, options } = core;

  const gate = core.gate;
  fastify.addHook('onResponse', function recordRequestMetrics(request: FastifyRequest, reply: FastifyReply, done) {
    gate.leave(request.raw);
    if ((request as TrackedRequest)[kRecorded] !== true) {
      recorder.record(request.headers, request.method, routeOf(request), reply.statusCode, reply.elapsedTime);
    }
    done();
  });
  fastify.addHook('onRequestAbort', function recordAbortedRequest(request: FastifyRequest, done) {
    // The handler may still reply later; the flag keeps onResponse from counting the request twice.
    (request as TrackedRequest)[kRecorded] = true;
    gate.leave(request.raw);
    if (answeredClientError(request.raw.socket)) {
      done();
      return;
    }
    recorder.record(request.headers, request.method, routeOf(request), CLIENT_CLOSED_REQUEST_CODE, undefined);
    done();
  });

  // Warm-up requests log at `warn` like the probes, not one info line each before the pod is ready.
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
  const server = fastify.server;
  const admit = core.connections.admit;
  // Probes and /metrics are never shed.
  const internalPaths = new Set([
    ...core.mainPortProbes.map(([path]) => path),
    ...(core.mainPortMetricsPath === null ? [] : [core.mainPortMetricsPath]),
  ]);
  const [handleRequest] = server.listeners('request') as RequestListener[];
  if (handleRequest !== undefined) {
    server.removeListener('request', handleRequest);
    server.on('request', function admitRequest(request: IncomingMessage, response: ServerResponse) {
      if (!admit(request, response)) return;
      const shed = gate.enter(request);
      if (shed !== undefined && !internalPaths.has(pathOf(request.url)) && !core.isWarmup(request.headers)) {
        // Shed before Fastify routes it, so it costs no routing or hooks: counted under the unmatched route.
        gate.shed(request, response, shed);
        recorder.record(request.headers, request.method ?? 'GET', undefined, 503, 0);
        return;
      }
      handleRequest.call(server, request, response);
      // Fastify's router answers a malformed URL or an over-long parameter at once, with no hook: count it too.
      if (response.writableEnded) response.once('finish', () => setImmediate(countIfUnhooked, request, response));
    });
  }
  /** A request the hooks counted has left the gate already; one still in flight was answered without hooks. */
  function countIfUnhooked(request: IncomingMessage, response: ServerResponse): void {
    if (gate.leave(request)) {
      recorder.record(request.headers, request.method ?? 'GET', undefined, response.statusCode, undefined);
    }
  }
  core.connections.attach(server);
  core.countClientErrors(server);

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
