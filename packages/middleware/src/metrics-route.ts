import type { FastifyInstance } from 'fastify';
import { createExposition, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, wantsOpenMetrics } from './exposition.js';
import type { WarmscaleOptions } from './options.js';

/** Serves the registry at `metrics.path`: Prometheus text by default, OpenMetrics (with exemplars) when asked. */
export function registerMetricsRoute(fastify: FastifyInstance, options: WarmscaleOptions): void {
  const path = options.metrics.path;
  if (path === null) return;
  const expose = createExposition(options.registry);
  fastify.get(path, { logLevel: 'warn' }, async function serveMetrics(request, reply) {
    const openMetrics = wantsOpenMetrics(request.headers.accept);
    reply.header('content-type', openMetrics ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE);
    reply.header('cache-control', 'no-store');
    return expose(openMetrics);
  });
}
