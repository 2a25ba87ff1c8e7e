import { type TSchema, Type } from '@sinclair/typebox';

/**
 * The one declaration of every setting that is a plain value: its type, default, bounds, unit and doc, as JSON Schema
 * (TypeBox). From it come the option validation (options.ts), the `WARMSCALE_*` environment variables
 * (environment.ts), the settings table of the README and the check that the chart's `values.schema.json` agrees.
 * Options that only code can pass (the registry, warm-up steps, readiness checks, `shutdown.exit`) are not settings.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** What a setting's value must be, in words, for error messages and docs. */
declare module '@sinclair/typebox' {
  interface SchemaOptions {
    /** The expectation in an error message: `'<option> must be <expected> (got ...)'`. */
    expected?: string;
    /** Unit of a number, shown in the docs. */
    unit?: 'ms' | 's' | 'requests' | 'seconds (bucket bounds)';
  }
}

const PATH_EXPECTED = 'a path starting with "/", without "?", "#", "*" or ":"';

/** A literal path the middleware serves: no query, and no `*` or `:` that a router would read as a pattern. */
const path = (description: string, defaultValue: string) =>
  Type.String({
    pattern: '^/[^\\s?#*:]*$',
    default: defaultValue,
    description,
    expected: PATH_EXPECTED,
  });

const port = (description: string) =>
  Type.Union([integer('', undefined, 0, 65535, undefined), Type.Null()], {
    default: null,
    description,
    expected: 'an integer from 0 to 65535',
  });

const flag = (description: string, defaultValue: boolean) =>
  Type.Boolean({ default: defaultValue, description, expected: 'a boolean' });

const integer = (
  description: string,
  defaultValue: number | undefined,
  minimum: number,
  maximum: number,
  unit: 'ms' | 's' | 'requests' | undefined,
) =>
  Type.Integer({
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
    minimum,
    maximum,
    description,
    expected: `an integer from ${minimum} to ${maximum}`,
    ...(unit === undefined ? {} : { unit }),
  });

const fraction = (description: string, defaultValue: number, exclusiveMinimum: boolean) =>
  Type.Number({
    default: defaultValue,
    ...(exclusiveMinimum ? { exclusiveMinimum: 0 } : { minimum: 0 }),
    maximum: 1,
    description,
    expected: `a number ${exclusiveMinimum ? 'above 0' : 'from 0'} up to 1`,
  });

const METRIC_NAME = '^[a-zA-Z_:][a-zA-Z0-9_:]*$';

export const DEFAULT_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'] as const;

/** Every setting, grouped by section; the option path is `<section>.<key>`. */
export const SETTINGS = {
  metrics: {
    path: Type.Union(
      [
        path('Path of the Prometheus endpoint; `null` serves none (scrape `registry` yourself).', '/metrics'),
        Type.Null(),
      ],
      {
        default: '/metrics',
        description: 'Path of the Prometheus endpoint; `null` serves none (scrape `registry` yourself).',
        expected: PATH_EXPECTED,
      },
    ),
    port: port(
      "Serve `/metrics` on this port instead of the application's (`null`: same port; 0: any free port), so scrapes never queue behind traffic. When it equals `probes.port`, one server answers both.",
    ),
    host: Type.String({
      minLength: 1,
      default: '0.0.0.0',
      description: 'Host of the separate metrics port.',
      expected: 'a non-empty string',
    }),
    requestsTotalName: Type.String({
      pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*_total$',
      default: 'httpserver_requests_total',
      description: 'Name of the request counter the adapter rule and the HPA read.',
      expected: 'a Prometheus metric name ending in "_total"',
    }),
    durationName: Type.String({
      pattern: METRIC_NAME,
      default: 'httpserver_request_duration_seconds',
      description: 'Name of the request duration histogram.',
      expected: 'a Prometheus metric name',
    }),
    durationBuckets: Type.Union(
      [Type.Literal(false), Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 1 })],
      {
        default: DEFAULT_DURATION_BUCKETS,
        description: 'Histogram bucket bounds in seconds, strictly increasing, or `false` for no histogram.',
        expected: 'false or a non-empty, strictly increasing array of positive seconds',
        unit: 'seconds (bucket bounds)',
      },
    ),
    defaultMetrics: flag("Collect prom-client's default Node.js process metrics.", true),
    exemplars: flag(
      'Attach `trace_id`/`span_id` exemplars of the active OpenTelemetry span to the counter (OpenMetrics only).',
      true,
    ),
    unmatchedRoute: Type.String({
      minLength: 1,
      default: '__unmatched__',
      description: 'The one `route` label value shared by every request that matches no route.',
      expected: 'a non-empty string',
    }),
    excludeRoutes: Type.Array(
      Type.String({ pattern: '^/[^\\s?#]*$', expected: 'a route template starting with "/"' }),
      {
        default: [],
        description: "Further route templates (as registered, e.g. `'/internal/:id'`) whose requests are not counted.",
        expected: 'an array of route templates',
      },
    ),
    countInternal: flag(
      'Count the metrics endpoint, the probes and warm-up requests too (they inflate the QPS the HPA sees).',
      false,
    ),
  },
  probes: {
    startupPath: path('Path of the startup probe.', '/startupz'),
    readinessPath: path('Path of the readiness probe.', '/readyz'),
    livenessPath: path('Path of the liveness probe.', '/livez'),
    port: port("Serve the probes on this port instead of the application's (`null`: same port; 0: any free port)."),
    host: Type.String({
      minLength: 1,
      default: '0.0.0.0',
      description: 'Host of the separate probe port.',
      expected: 'a non-empty string',
    }),
    maxEventLoopDelayMs: integer(
      'Liveness turns 503 when the event loop stalled longer than this since the previous liveness answer (reported to every caller for 5 s); 0 never.',
      5000,
      0,
      HOUR_MS,
      'ms',
    ),
  },
  warmup: {
    enabled: flag(
      'Run the warm-up steps; `false` goes ready as soon as the server listens (the cold-start trap).',
      true,
    ),
    budgetMs: integer(
      "Total time for all warm-up steps, from listen. Keep the startupProbe's failureThreshold x periodSeconds above it.",
      30_000,
      1,
      HOUR_MS,
      'ms',
    ),
  },
  shutdown: {
    signals: Type.Array(Type.Union(SHUTDOWN_SIGNALS.map((signal) => Type.Literal(signal))), {
      default: ['SIGTERM', 'SIGINT'],
      description: 'Signals that start the graceful shutdown once the server listens; `[]` leaves signals alone.',
      expected: `an array of ${SHUTDOWN_SIGNALS.join(', ')}`,
    }),
    delayMs: integer(
      'How long readiness is 503 while the server still serves, for endpoint removal to propagate.',
      5000,
      0,
      HOUR_MS,
      'ms',
    ),
    drainTimeoutMs: integer(
      'Longest wait for in-flight requests once the server stops accepting.',
      10_000,
      0,
      HOUR_MS,
      'ms',
    ),
    timeoutMs: integer(
      'Overall deadline from the signal to exit (delay, drain and close hooks); past it the process exits 1.',
      20_000,
      1,
      HOUR_MS,
      'ms',
    ),
    preStopSleepSeconds: integer(
      "The pod's preStop sleep, which runs before the signal; only used for the grace-period check.",
      0,
      0,
      3600,
      's',
    ),
    gracePeriodSeconds: integer(
      "The pod's terminationGracePeriodSeconds; when set, start-up warns if preStop + timeoutMs exceed it.",
      undefined,
      0,
      86_400,
      's',
    ),
  },
  connections: {
    maxRequests: integer(
      'Close a keep-alive connection after this many requests; 0 never.',
      1000,
      0,
      1_000_000_000,
      'requests',
    ),
    maxAgeMs: integer(
      'Close a keep-alive connection at its first response after this age; 0 never.',
      30_000,
      0,
      DAY_MS,
      'ms',
    ),
    maxAgeJitter: fraction(
      "Spread of each connection's age limit around `maxAgeMs` (0.1: uniformly within ±10%), so clients that connected together do not all reconnect together.",
      0.1,
      false,
    ),
  },
  admission: {
    maxInFlight: integer(
      "Requests handled at once before more are shed with 503 (Knative's `containerConcurrency`); 0 no cap.",
      0,
      0,
      1_000_000,
      'requests',
    ),
    slowStartMs: integer(
      "After the pod turns ready, the cap ramps from `slowStartMinShare` of `maxInFlight` to all of it over this window (Envoy's slow start); 0 off. Needs `maxInFlight`.",
      0,
      0,
      HOUR_MS,
      'ms',
    ),
    slowStartMinShare: fraction('Share of `maxInFlight` admitted right after readiness.', 0.1, true),
    slowStartAggression: Type.Number({
      default: 1,
      exclusiveMinimum: 0,
      maximum: 10,
      description:
        'Shape of the slow-start ramp: share = max(minShare, (elapsed / window) ^ (1 / aggression)); 1 is linear, above 1 ramps faster early.',
      expected: 'a number above 0 up to 10',
    }),
    maxEventLoopDelayMs: integer(
      'Shed requests while the event loop lags more than this (sampled every 100 ms), so a saturated pod answers cheap 503s instead of queueing until its probes time out; 0 off.',
      500,
      0,
      HOUR_MS,
      'ms',
    ),
    retryAfterSeconds: integer('The `Retry-After` of a shed request.', 1, 0, 3600, 's'),
  },
} as const satisfies Record<string, Record<string, TSchema>>;

export type SettingSection = keyof typeof SETTINGS;

/** One setting, flattened: `shutdown.delayMs`, its schema and its environment variable. */
export interface Setting {
  readonly section: SettingSection;
  readonly key: string;
  /** `shutdown.delayMs` */
  readonly path: string;
  /** `WARMSCALE_SHUTDOWN_DELAY_MS` */
  readonly env: string;
  readonly schema: TSchema;
}

/** `shutdown.delayMs` -> `WARMSCALE_SHUTDOWN_DELAY_MS`, as OpenTelemetry derives `OTEL_*` names. */
export function envName(path: string): string {
  return `WARMSCALE_${path
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('_')}`;
}

export const SETTING_LIST: readonly Setting[] = Object.entries(SETTINGS).flatMap(([section, keys]) =>
  Object.entries(keys as Record<string, TSchema>).map(([key, schema]) => ({
    section: section as SettingSection,
    key,
    path: `${section}.${key}`,
    env: envName(`${section}.${key}`),
    schema,
  })),
);
