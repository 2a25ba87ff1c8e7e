import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import fp from 'fastify-plugin';
import promClient, { type Registry } from 'prom-client';
import { registerMetricsRoute } from './metrics-route.js';
import { resolveOptions, type WarmscaleOptions, type WarmscaleOptionsInput } from './options.js';
import { type RequestMetrics, registerRequestMetrics } from './request-metrics.js';

/** What the plugin decorates the Fastify instance with, as `fastify.warmscale`. */
export interface Warmscale {
  /** The registry holding every metric of the plugin (add your own metrics to it). */
  readonly registry: Registry;
  /** The request counter and histogram. */
  readonly metrics: RequestMetrics;
  /** The resolved options. */
  readonly options: WarmscaleOptions;
}

declare module 'fastify' {
  interface FastifyInstance {
    warmscale: Warmscale;
  }
}

async function warmscalePlugin(fastify: FastifyInstance, input: WarmscaleOptionsInput): Promise<void> {
  const options = resolveOptions(input);
  if (fastify.hasDecorator('warmscale')) {
    throw new Error('@warmscale/middleware is already registered on this Fastify instance');
  }
  const { metrics: opts, registry } = options;
  if (opts.defaultMetrics) {
    // fastify-metrics is used for what it does cheaply: prom-client's default process metrics. Its per-route hooks
    // (two timers and a summary per request) cost far more than the counter, so they stay off and the request path
    // is ours. `promClient` is passed explicitly so it never swaps in another client copy behind our registry.
    // fastify-metrics 13 is CommonJS with `exports.default`, so ESM sees the plugin one level down.
    await fastify.register(fastifyMetricsModule.default, {
      name: 'warmscaleProcessMetrics',
      promClient,
      endpoint: null,
      defaultMetrics: { enabled: true, register: registry },
      routeMetrics: { enabled: false },
    });
  }
  const internalRoutes = new Set<string>(opts.countInternal ? [] : [opts.path].filter((p) => p !== null));
  const metrics = registerRequestMetrics(fastify, options, {
    excludedRoutes: new Set([...internalRoutes, ...opts.excludeRoutes]),
    isInternal: () => false,
  });
  registerMetricsRoute(fastify, options);
  fastify.decorate('warmscale', { registry, metrics, options });
}

/** The Fastify plugin. Register it before your routes' traffic starts; it counts routes registered before or after it. */
export const warmscale: FastifyPluginAsync<WarmscaleOptionsInput> = fp(warmscalePlugin, {
  fastify: '5.x',
  name: '@warmscale/middleware',
});
export default warmscale;

export type { TraceExemplar } from './exemplars.js';
export { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from './exposition.js';
export {
  DEFAULT_DURATION_BUCKETS,
  type MetricsOptions,
  type MetricsOptionsInput,
  WarmscaleOptionError,
  type WarmscaleOptions,
  type WarmscaleOptionsInput,
} from './options.js';
export { CLIENT_CLOSED_REQUEST, type RequestMetrics } from './request-metrics.js';
