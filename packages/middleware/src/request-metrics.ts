import type { IncomingHttpHeaders } from 'node:http';
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
  /** True for a request the middleware itself made (warm-up), told by its headers. */
  readonly isInternal: (headers: IncomingHttpHeaders) => boolean;
  /** Tells when shutdown started. */
  readonly lifecycle: Lifecycle;
  /** Called for each counted request that arrived after the shutdown signal. */
  readonly onRequestAfterSignal: () => void;
}

/** The request metrics and the one function every adapter calls per response. */
export interface RequestRecorder extends RequestMetrics {
  /**
   * Counts one response. `route` is the matched route template, undefined when no route matched; `elapsedMs` is
   * undefined for a request whose client left first: it is counted as 499 and has no duration.
   */
  record(
    headers: IncomingHttpHeaders,
    method: string,
    route: string | undefined,
    status: number,
    elapsedMs: number | undefined,
  ): void;
}

/**
 * The `method` label of a response to a request Node could not parse, so its method is unknown (OpenTelemetry's
 * semantic conventions name unknown methods `_OTHER`).
 */
export const UNKNOWN_METHOD = '_OTHER';

/** nginx's "client closed request": the client went away before a response could be sent. */
export const CLIENT_CLOSED_REQUEST = '499';
export const CLIENT_CLOSED_REQUEST_CODE = 499;

/**
 * Registers `httpserver_requests_total{method,route,status}` (and the duration histogram) and returns the recorder
 * that feeds them. The adapters call it once per response, and once for a request whose client left first (it is
 * real load, so a QPS autoscaler must see it).
 */
export function createRequestMetrics(options: WarmscaleOptions, accounting: RequestAccounting): RequestRecorder {
  const { registry, metrics: opts } = options;
  const histogram = opts.durationBuckets !== false;
  const table = new RequestTable(opts.durationBuckets === false ? [] : opts.durationBuckets, opts.unmatchedRoute);
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

  function record(
    headers: IncomingHttpHeaders,
    method: string,
    matched: string | undefined,
    status: number,
    elapsedMs: number | undefined,
  ): void {
    let route: string;
    if (matched === undefined) {
      route = unmatched;
    } else {
      route = matched;
      if (excludedRoutes.has(route)) return;
    }
    if (isInternal(headers)) return;
    const series = table.series(method, route);
    const counter = table.counter(series, status);
    counter.value++;
    if (histogram && elapsedMs !== undefined) table.observe(series, elapsedMs / 1000);
    if (exemplars) recordTraceExemplar(counter);
    const shutdownStartedAt = lifecycle.shutdownStartedAt;
    if (shutdownStartedAt !== undefined && performance.now() - (elapsedMs ?? 0) >= shutdownStartedAt) {
      onRequestAfterSignal();
    }
  }

  return { requests, duration, record };
}
