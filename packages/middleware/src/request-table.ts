/**
 * The request counts and durations, kept in plain objects resolved once per (method, route) and read at scrape time.
 *
 * prom-client's `Counter.inc` and `Histogram.observe` hash and validate the label object on every call (~0.7 µs and
 * ~1.1 µs), which is most of what a request costs the middleware. Here a request is two map lookups on interned
 * strings, an integer increment and a bucket search; the label text of every series is formatted once, when the
 * series appears, so a scrape only joins cached prefixes and numbers.
 */

/** One `httpserver_requests_total` series: a (method, route, status). */
export interface CounterSeries {
  readonly labels: Readonly<{ method: string; route: string; status: string }>;
  /** `{method="GET",route="/x",status="200"}`, escaped once. */
  readonly labelText: string;
  value: number;
  /** The latest request's trace, when it ran inside a sampled span and exemplars are on. */
  traceId: string | undefined;
  spanId: string | undefined;
  /** Unix seconds of that request, as OpenMetrics exemplars carry. */
  exemplarAt: number;
}

/** One (method, route): its counter series by status code, and its duration histogram. */
export interface RouteSeries {
  readonly labels: Readonly<{ method: string; route: string }>;
  /** `method="GET",route="/x"`, escaped once. */
  readonly labelText: string;
  readonly statuses: Map<number, CounterSeries>;
  /** Observations per bucket, not cumulative; the last bucket is `+Inf`. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/** Escapes a label value as the exposition formats require (and as prom-client does). */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class RequestTable {
  /** route → method → series. Route templates and methods are interned strings, so lookups hash nothing. */
  private readonly routes = new Map<string, Map<string, RouteSeries>>();
  /** Counter series in the order they appeared: the exposition order prom-client would use. */
  readonly counterSeries: CounterSeries[] = [];
  /** Route series in the order of their first duration observation. */
  readonly histogramSeries: RouteSeries[] = [];

  /**
   * What a pod that has counted nothing yet exports: one zero series, so the adapter's per-pod query returns 0 for
   * it instead of leaving it out (a missing pod counts as 100% of the target when the HPA scales down, which holds
   * scale-in back). It is `GET` + the unmatched route + 404, a series any pod may have; it goes once real series exist.
   */
  private readonly placeholder: readonly CounterSeries[];

  /**
   * @param upperBounds the histogram's bucket bounds in seconds, strictly increasing (empty: no histogram).
   * @param unmatchedRoute the route label of requests that matched no route.
   */
  constructor(
    readonly upperBounds: readonly number[],
    unmatchedRoute: string,
  ) {
    const labels = { method: 'GET', route: unmatchedRoute, status: '404' };
    this.placeholder = [
      {
        labels,
        labelText: `{method="GET",route="${escapeLabelValue(unmatchedRoute)}",status="404"}`,
        value: 0,
        traceId: undefined,
        spanId: undefined,
        exemplarAt: 0,
      },
    ];
  }

  /** The counter series to export: the placeholder until the first response is counted. */
  exported(): readonly CounterSeries[] {
    return this.counterSeries.length > 0 ? this.counterSeries : this.placeholder;
  }

  /** The (method, route) series, created on first use. */
  series(method: string, route: string): RouteSeries {
    let methods = this.routes.get(route);
    if (methods === undefined) {
      methods = new Map();
      this.routes.set(route, methods);
    }
    let series = methods.get(method);
    if (series === undefined) {
      series = {
        labels: { method, route },
        labelText: `method="${escapeLabelValue(method)}",route="${escapeLabelValue(route)}"`,
        statuses: new Map(),
        buckets: new Float64Array(this.upperBounds.length + 1),
        sum: 0,
        count: 0,
      };
      methods.set(method, series);
    }
    return series;
  }

  /** The counter series of one status of a (method, route), created on first use. */
  counter(series: RouteSeries, status: number): CounterSeries {
    let counter = series.statuses.get(status);
    if (counter === undefined) {
      const statusLabel = String(status);
      counter = {
        labels: { ...series.labels, status: statusLabel },
        labelText: `{${series.labelText},status="${statusLabel}"}`,
        value: 0,
        traceId: undefined,
        spanId: undefined,
        exemplarAt: 0,
      };
      series.statuses.set(status, counter);
      this.counterSeries.push(counter);
    }
    return counter;
  }

  /** Adds one duration observation, as prom-client does: a value lands in the first bucket whose bound it does not exceed. */
  observe(series: RouteSeries, seconds: number): void {
    const bounds = this.upperBounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > (bounds[bucket] as number)) bucket++;
    series.buckets[bucket] = (series.buckets[bucket] as number) + 1;
    if (series.count === 0) this.histogramSeries.push(series);
    series.sum += seconds;
    series.count++;
  }

  /** Forgets every series (prom-client's `registry.resetMetrics()` calls this through the families). */
  reset(): void {
    this.routes.clear();
    this.counterSeries.length = 0;
    this.histogramSeries.length = 0;
  }
}
