import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metric } from 'prom-client';
import { recordTraceExemplar } from './exemplars.js';
import type { Lifecycle } from './lifecycle.js';
import type { WarmscaleOptions } from './options.js';
import { DurationHistogramFamily, RequestCounterFamily } from './request-families.js';
import { RequestTable } from './request-table.js';

/** The request counter and duration histogram, as registered in the plugin's registry. */
export interface RequestMetrics {
  /** `httpserver_requests_total{method,route,status}`; `get()` returns what prom-client's `Counter.get()` would. */
  readonly requests: RequestCounterFamily;
  /** `httpserver_request_duration_seconds{method,route}`, undefined when `metrics.durationBuckets` is false. */
  readonly duration: DurationHistogramFamily | undefined;
}

/** What decides how a response is counted. */
export interface RequestAccounting {
  /** Route templates never counted (probes, the metrics endpoint, `metrics.excludeRoutes`). */
  readonly excludedRoutes: ReadonlySet<string>;
  /** True for a request the plugin itself made (warm-up). */
  readonly isInternal: (request: FastifyRequest) => boolean;
  /** Tells when shutdown started. */
  readonly lifecycle: Lifecycle;
  /** Called for each counted request that arrived after the shutdown signal. */
  readonly onRequestAfterSignal: () => void;
}

/** nginx's "client closed request": the client went away before a response could be sent. */
export const CLIENT_CLOSED_REQUEST = '499';
const CLIENT_CLOSED_REQUEST_CODE = 499;

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
  accounting: RequestAccounting,
): RequestMetrics {
  const { registry, metrics: opts } = options;
  const histogram = opts.durationBuckets !== false;
  const table = new RequestTable(opts.durationBuckets === false ? [] : opts.durationBuckets);
  const requests = new RequestCounterFamily(
    opts.requestsTotalName,
    'HTTP requests served, by method, route template and response status',
    table,
  );
  const duration = histogram
    ? new DurationHistogramFamily(
        opts.durationName,
        'HTTP request duration in seconds, by method and route template',
        table,
      )
    : undefined;
  // The families implement what prom-client's registry reads (name, help, type, get, reset), so the registry,
  // `getMetricsAsJSON`, `Registry.merge` and cluster aggregation all see them like its own metrics.
  registry.registerMetric(requests as unknown as Metric);
  if (duration !== undefined) registry.registerMetric(duration as unknown as Metric);

  const exemplars = opts.exemplars;
  const unmatched = opts.unmatchedRoute;
  const { excludedRoutes, isInternal, lifecycle, onRequestAfterSignal } = accounting;

  /** `elapsedMs` is undefined for an aborted request: it has no response, so no duration either. */
  function record(request: FastifyRequest, status: number, elapsedMs: number | undefined): void {
    let route: string;
    if (request.is404) {
      route = unmatched;
    } else {
      route = request.routeOptions.url ?? unmatched;
      if (excludedRoutes.has(route)) return;
    }
    if (isInternal(request)) return;
    const series = table.series(request.method, route);
    const counter = table.counter(series, status);
    counter.value++;
    if (histogram && elapsedMs !== undefined) table.observe(series, elapsedMs / 1000);
    if (exemplars) recordTraceExemplar(counter);
    const shutdownStartedAt = lifecycle.shutdownStartedAt;
    if (shutdownStartedAt !== undefined && performance.now() - (elapsedMs ?? 0) >= shutdownStartedAt) {
      onRequestAfterSignal();
    }
  }

  fastify.addHook('onResponse', function recordRequestMetrics(request: FastifyRequest, reply: FastifyReply, done) {
    if ((request as TrackedRequest)[kRecorded] !== true) record(request, reply.statusCode, reply.elapsedTime);
    done();
  });
  fastify.addHook('onRequestAbort', function recordAbortedRequest(request: FastifyRequest, done) {
    // The handler may still reply later; the flag keeps onResponse from counting the request twice.
    (request as TrackedRequest)[kRecorded] = true;
    record(request, CLIENT_CLOSED_REQUEST_CODE, undefined);
    done();
  });
  return { requests, duration };
}
