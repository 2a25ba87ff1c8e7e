import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { activeTraceExemplar } from './exemplars.js';
import type { WarmscaleOptions } from './options.js';

type RequestLabel = 'method' | 'route' | 'status';

/** The request counter and duration histogram, as registered in the plugin's registry. */
export interface RequestMetrics {
  readonly requests: Counter<RequestLabel>;
  readonly duration: Histogram<'method' | 'route'> | undefined;
}

/** Decides per request whether it is internal traffic (probes, scrapes, warm-up) that the HPA must not see. */
export interface TrafficFilter {
  /** Route templates never counted. */
  readonly excludedRoutes: ReadonlySet<string>;
  /** True for a request the plugin itself made (warm-up). */
  readonly isInternal: (request: FastifyRequest) => boolean;
}

/** nginx's "client closed request": the client went away before a response could be sent. */
export const CLIENT_CLOSED_REQUEST = '499';

const STATUS_LABELS: readonly string[] = Array.from({ length: 600 }, (_, code) => String(code));
const kRecorded = Symbol('warmscale.recorded');

type TrackedRequest = FastifyRequest & { [kRecorded]?: true };

/**
 * Registers `httpserver_requests_total{method,route,status}` (and the duration histogram) and the hooks that feed
 * them. One `onResponse` hook does the work on the hot path; an `onRequestAbort` hook counts requests whose client
 * left before the response (they are real load, so a QPS autoscaler must see them).
 */
export function registerRequestMetrics(
  fastify: FastifyInstance,
  options: WarmscaleOptions,
  filter: TrafficFilter,
): RequestMetrics {
  const { registry, metrics: opts } = options;
  const requests = new Counter<RequestLabel>({
    name: opts.requestsTotalName,
    help: 'HTTP requests served, by method, route template and response status',
    labelNames: ['method', 'route', 'status'],
    // prom-client refuses exemplars on a text-format registry, although the same registry also serves OpenMetrics
    // here (see exposition.ts); registering by hand after construction skips that check.
    registers: [],
    enableExemplars: opts.exemplars,
  });
  registry.registerMetric(requests);
  const duration =
    opts.durationBuckets === false
      ? undefined
      : new Histogram<'method' | 'route'>({
          name: opts.durationName,
          help: 'HTTP request duration in seconds, by method and route template',
          labelNames: ['method', 'route'],
          buckets: [...opts.durationBuckets],
          registers: [registry],
        });
  // With exemplars on, prom-client swaps `inc` for its object form; pick the matching call once, not per request.
  const count = opts.exemplars
    ? (labels: Record<RequestLabel, string>) => {
        const exemplar = activeTraceExemplar();
        requests.inc(
          exemplar === undefined
            ? { labels }
            : { labels, exemplarLabels: exemplar as unknown as Record<string, string> },
        );
      }
    : (labels: Record<RequestLabel, string>) => requests.inc(labels);
  const unmatched = opts.unmatchedRoute;
  const { excludedRoutes, isInternal } = filter;

  function routeOf(request: FastifyRequest): string | undefined {
    if (request.is404) return unmatched;
    const route = request.routeOptions.url ?? unmatched;
    return excludedRoutes.has(route) ? undefined : route;
  }

  function record(request: FastifyRequest, status: string, seconds: number | undefined): void {
    const route = routeOf(request);
    if (route === undefined || isInternal(request)) return;
    const method = request.method;
    count({ method, route, status });
    if (duration !== undefined && seconds !== undefined) duration.observe({ method, route }, seconds);
  }

  fastify.addHook('onResponse', function recordRequestMetrics(request: FastifyRequest, reply: FastifyReply, done) {
    if ((request as TrackedRequest)[kRecorded] !== true) {
      record(request, STATUS_LABELS[reply.statusCode] ?? String(reply.statusCode), reply.elapsedTime / 1000);
    }
    done();
  });
  fastify.addHook('onRequestAbort', function recordAbortedRequest(request: FastifyRequest, done) {
    // The handler may still reply later; the flag keeps onResponse from counting the request twice.
    (request as TrackedRequest)[kRecorded] = true;
    record(request, CLIENT_CLOSED_REQUEST, undefined);
    done();
  });
  return { requests, duration };
}
