import { Registry } from 'prom-client';

/** Options of the request metrics and the `/metrics` endpoint. */
export interface MetricsOptionsInput {
  /** Path of the Prometheus endpoint; `null` serves none (scrape `registry` yourself). @defaultValue `'/metrics'` */
  readonly path?: string | null;
  /** Name of the request counter the adapter rule and the HPA read. Must end in `_total`. @defaultValue `'httpserver_requests_total'` */
  readonly requestsTotalName?: string;
  /** Name of the request duration histogram. @defaultValue `'httpserver_request_duration_seconds'` */
  readonly durationName?: string;
  /** Histogram buckets in seconds (strictly increasing), or `false` for no histogram. @defaultValue `[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]` */
  readonly durationBuckets?: readonly number[] | false;
  /** Collect prom-client's default Node.js process metrics (through fastify-metrics). @defaultValue `true` */
  readonly defaultMetrics?: boolean;
  /** Attach `trace_id`/`span_id` exemplars of the active OpenTelemetry span to the counter (OpenMetrics only). @defaultValue `true` */
  readonly exemplars?: boolean;
  /** The one `route` label value shared by all requests that match no route. @defaultValue `'__unmatched__'` */
  readonly unmatchedRoute?: string;
  /** Further route templates (as registered, e.g. `'/internal/:id'`) whose requests are not counted. @defaultValue `[]` */
  readonly excludeRoutes?: readonly string[];
  /** Count the metrics endpoint, the probes and warm-up requests too (they inflate the QPS the HPA sees). @defaultValue `false` */
  readonly countInternal?: boolean;
}

/** Options of `@warmscale/middleware`; every field is optional. */
export interface WarmscaleOptionsInput {
  /** Registry for every metric of the plugin. @defaultValue a new `Registry` per plugin instance */
  readonly registry?: Registry;
  readonly metrics?: MetricsOptionsInput;
}

export interface MetricsOptions {
  readonly path: string | null;
  readonly requestsTotalName: string;
  readonly durationName: string;
  readonly durationBuckets: readonly number[] | false;
  readonly defaultMetrics: boolean;
  readonly exemplars: boolean;
  readonly unmatchedRoute: string;
  readonly excludeRoutes: readonly string[];
  readonly countInternal: boolean;
}

/** The options with every default resolved and every relation checked. */
export interface WarmscaleOptions {
  readonly registry: Registry;
  readonly metrics: MetricsOptions;
}

export const DEFAULT_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Thrown for an invalid option; the message names the option path and what was expected. */
export class WarmscaleOptionError extends TypeError {
  override name = 'WarmscaleOptionError';
}

function fail(option: string, expected: string, got: unknown): never {
  throw new WarmscaleOptionError(`${option} must be ${expected} (got ${describe(got)})`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value instanceof RegExp) return String(value);
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

function section(option: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(option, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new WarmscaleOptionError(`${option}.${key} is not an option (known: ${known.join(', ')})`);
    }
  }
  return value as Record<string, unknown>;
}

function boolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(option, 'a boolean', value);
  return value;
}

/** A URL path such as `/metrics`: leading slash, no query, no whitespace. */
function path(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\/[^\s?#]*$/.test(value)) fail(option, 'a path starting with "/"', value);
  return value;
}

function metricName(option: string, value: unknown, fallback: string, suffix = ''): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(value) || !value.endsWith(suffix)) {
    fail(option, `a Prometheus metric name${suffix ? ` ending in "${suffix}"` : ''}`, value);
  }
  return value;
}

function labelValue(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) fail(option, 'a non-empty string', value);
  return value;
}

function buckets(option: string, value: unknown): readonly number[] | false {
  if (value === undefined) return DEFAULT_DURATION_BUCKETS;
  if (value === false) return false;
  const valid =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((b, i) => typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > value[i - 1]));
  if (!valid) fail(option, 'false or a non-empty, strictly increasing array of positive seconds', value);
  return Object.freeze([...(value as number[])]);
}

function routeList(option: string, value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(option, 'an array of route paths', value);
  return Object.freeze(value.map((route, i) => path(`${option}[${i}]`, route, '')));
}

/** Validates every option at register time and resolves the defaults. */
export function resolveOptions(input: WarmscaleOptionsInput | undefined): WarmscaleOptions {
  const top = section('options', input, ['registry', 'metrics']);
  if (top.registry !== undefined && !(top.registry instanceof Registry)) {
    fail(
      'registry',
      "a prom-client Registry (from the same prom-client copy as @warmscale/middleware's)",
      top.registry,
    );
  }
  const m = section('metrics', top.metrics, [
    'path',
    'requestsTotalName',
    'durationName',
    'durationBuckets',
    'defaultMetrics',
    'exemplars',
    'unmatchedRoute',
    'excludeRoutes',
    'countInternal',
  ]);
  const metrics: MetricsOptions = {
    path: m.path === null ? null : path('metrics.path', m.path, '/metrics'),
    requestsTotalName: metricName(
      'metrics.requestsTotalName',
      m.requestsTotalName,
      'httpserver_requests_total',
      '_total',
    ),
    durationName: metricName('metrics.durationName', m.durationName, 'httpserver_request_duration_seconds'),
    durationBuckets: buckets('metrics.durationBuckets', m.durationBuckets),
    defaultMetrics: boolean('metrics.defaultMetrics', m.defaultMetrics, true),
    exemplars: boolean('metrics.exemplars', m.exemplars, true),
    unmatchedRoute: labelValue('metrics.unmatchedRoute', m.unmatchedRoute, '__unmatched__'),
    excludeRoutes: routeList('metrics.excludeRoutes', m.excludeRoutes),
    countInternal: boolean('metrics.countInternal', m.countInternal, false),
  };
  if (metrics.durationName === metrics.requestsTotalName) {
    throw new WarmscaleOptionError(
      `metrics.durationName must differ from metrics.requestsTotalName (both ${JSON.stringify(metrics.durationName)})`,
    );
  }
  return { registry: (top.registry as Registry | undefined) ?? new Registry(), metrics };
}
