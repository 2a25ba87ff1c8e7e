import type { FastifyInstance } from 'fastify';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, wantsOpenMetrics } from './exposition.js';

/** Serves `expose` at `path`: Prometheus text by default, OpenMetrics (with exemplars) when asked. */
export function registerMetricsRoute(
  fastify: FastifyInstance,
  path: string | null,
  expose: (openMetrics: boolean) => Promise<string>,
): void {
  if (path === null) return;
  fastify.get(path, { logLevel: 'warn' }, async function serveMetrics(request, reply) {
    const openMetrics = wantsOpenMetrics(request.headers.accept);
    reply.header('content-type', openMetrics ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE);
    reply.header('cache-control', 'no-store');
    return expose(openMetrics);
  });
}
