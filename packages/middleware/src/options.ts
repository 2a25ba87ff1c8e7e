import type { HTTPMethods } from 'fastify';
import { Registry } from 'prom-client';
import type { ReadinessCheck, ReadinessCheckInput } from './readiness-checks.js';
import type { WarmupStep, WarmupStepInput } from './warmup.js';

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

/** Options of the startup, readiness and liveness probes. */
export interface ProbeOptionsInput {
  /** @defaultValue `'/startupz'` */
  readonly startupPath?: string;
  /** @defaultValue `'/readyz'` */
  readonly readinessPath?: string;
  /** @defaultValue `'/livez'` */
  readonly livenessPath?: string;
  /** Serve the probes on this port instead of the application's (`null`: same port). @defaultValue `null` */
  readonly port?: number | null;
  /** Host of the separate probe port. @defaultValue `'0.0.0.0'` */
  readonly host?: string;
  /** Liveness turns 503 when the event loop stalled longer than this since the previous liveness probe; 0 never. @defaultValue `5000` */
  readonly maxEventLoopDelayMs?: number;
}

/** Options of the warm-up that gates startup and readiness. */
export interface WarmupOptionsInput {
  /** Run the warm-up steps; `false` goes ready as soon as the server listens (the cold-start trap). @defaultValue `true` */
  readonly enabled?: boolean;
  /** Total time for all steps, from listen. Keep the startupProbe's failureThreshold x periodSeconds above it. @defaultValue `30000` */
  readonly budgetMs?: number;
  /** Steps run in order after the server listens; more can be added with `fastify.warmscale.addWarmupStep`. @defaultValue `[]` */
  readonly steps?: readonly WarmupStepInput[];
}

/** Options of the readiness checks (dependencies) behind `/readyz`. */
export interface ReadinessOptionsInput {
  /** @defaultValue `[]` */
  readonly checks?: readonly ReadinessCheckInput[];
}

/** Options of the graceful shutdown. */
export interface ShutdownOptionsInput {
  /** Signals that start the graceful shutdown once the server listens; `[]` leaves signals alone. @defaultValue `['SIGTERM', 'SIGINT']` */
  readonly signals?: readonly NodeJS.Signals[];
  /** How long readiness is 503 while the server still serves, for endpoint removal to propagate. @defaultValue `5000` */
  readonly delayMs?: number;
  /** Longest wait for in-flight requests once the server stops accepting. @defaultValue `10000` */
  readonly drainTimeoutMs?: number;
  /** Overall deadline from the signal to exit (delay, drain and close hooks); past it the process exits 1. @defaultValue `20000` */
  readonly timeoutMs?: number;
  /** The pod's preStop sleep, which runs before the signal; only used for the budget check. @defaultValue `0` */
  readonly preStopSleepSeconds?: number;
  /** The pod's terminationGracePeriodSeconds; when given, start-up warns if preStop + timeoutMs exceed it. @defaultValue `undefined` */
  readonly gracePeriodSeconds?: number;
  /** How the process exits at the end of the shutdown (replace it in tests). @defaultValue `process.exit` */
  readonly exit?: (code: number) => void;
}

/** Options of connection recycling, which lets scale-out spread keep-alive traffic. */
export interface ConnectionOptionsInput {
  /** Close a keep-alive connection after this many requests; 0 never. @defaultValue `1000` */
  readonly maxRequests?: number;
  /** Close a keep-alive connection at its first response after this age; 0 never. @defaultValue `30000` */
  readonly maxAgeMs?: number;
}

/** Options of `@warmscale/middleware`; every field is optional. */
export interface WarmscaleOptionsInput {
  /** Registry for every metric of the plugin. @defaultValue a new `Registry` per plugin instance */
  readonly registry?: Registry;
  readonly metrics?: MetricsOptionsInput;
  readonly probes?: ProbeOptionsInput;
  readonly warmup?: WarmupOptionsInput;
  readonly readiness?: ReadinessOptionsInput;
  readonly shutdown?: ShutdownOptionsInput;
  readonly connections?: ConnectionOptionsInput;
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

export interface ProbeOptions {
  readonly startupPath: string;
  readonly readinessPath: string;
  readonly livenessPath: string;
  readonly port: number | null;
  readonly host: string;
  readonly maxEventLoopDelayMs: number;
}

export interface WarmupOptions {
  readonly enabled: boolean;
  readonly budgetMs: number;
  readonly steps: readonly WarmupStep[];
}

export interface ShutdownOptions {
  readonly signals: readonly NodeJS.Signals[];
  readonly delayMs: number;
  readonly drainTimeoutMs: number;
  readonly timeoutMs: number;
  readonly preStopSleepSeconds: number;
  readonly gracePeriodSeconds: number | undefined;
  readonly exit: (code: number) => void;
}

export interface ConnectionOptions {
  readonly maxRequests: number;
  readonly maxAgeMs: number;
}

/** The options with every default resolved and every relation checked. */
export interface WarmscaleOptions {
  readonly registry: Registry;
  readonly metrics: MetricsOptions;
  readonly probes: ProbeOptions;
  readonly warmup: WarmupOptions;
  readonly readiness: { readonly checks: readonly ReadinessCheck[] };
  readonly shutdown: ShutdownOptions;
  readonly connections: ConnectionOptions;
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

function integer(option: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(option, `an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`, value);
  }
  return value;
}

function optionalInteger(option: string, value: unknown, min: number): number | undefined {
  return value === undefined ? undefined : integer(option, value, 0, min);
}

function fn<T>(option: string, value: unknown, fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'function') fail(option, 'a function', value);
  return value as T;
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

const HTTP_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

function statuses(option: string, value: unknown): readonly number[] {
  if (value === undefined) return [200];
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) {
    fail(option, 'an HTTP status or a non-empty array of them', value);
  }
  return Object.freeze([...(list as number[])]);
}

/** Resolves one warm-up step; `index` names it in error messages. */
export function resolveWarmupStep(input: unknown, option: string): WarmupStep {
  if (typeof input !== 'object' || input === null) fail(option, 'an object with `inject` or `run`', input);
  const common = { timeoutMs: optionalInteger(`${option}.timeoutMs`, (input as { timeoutMs?: unknown }).timeoutMs, 1) };
  if ('run' in input) {
    const step = section(option, input, ['name', 'run', 'timeoutMs', 'critical']);
    return {
      kind: 'function',
      name: labelValue(`${option}.name`, step.name, ''),
      run: fn(`${option}.run`, step.run),
      ...common,
      critical: boolean(`${option}.critical`, step.critical, true),
    };
  }
  const step = section(option, input, [
    'name',
    'inject',
    'times',
    'concurrency',
    'expectStatus',
    'transport',
    'timeoutMs',
    'critical',
  ]);
  const request = section(`${option}.inject`, step.inject ?? fail(`${option}.inject`, 'an object', undefined), [
    'method',
    'url',
    'headers',
    'payload',
  ]);
  const method = request.method ?? 'GET';
  if (typeof method !== 'string' || !HTTP_METHODS.includes(method)) {
    fail(`${option}.inject.method`, `one of ${HTTP_METHODS.join(', ')}`, method);
  }
  const url = request.url;
  if (typeof url !== 'string' || !url.startsWith('/')) fail(`${option}.inject.url`, 'a path starting with "/"', url);
  if (request.headers !== undefined && (typeof request.headers !== 'object' || request.headers === null)) {
    fail(`${option}.inject.headers`, 'an object of header strings', request.headers);
  }
  const transport = step.transport ?? 'inject';
  if (transport !== 'inject' && transport !== 'loopback') {
    fail(`${option}.transport`, '"inject" or "loopback"', transport);
  }
  return {
    kind: 'inject',
    name: step.name === undefined ? `${method} ${url}` : labelValue(`${option}.name`, step.name, ''),
    request: { ...(request as InjectRequest), method: method as HTTPMethods, url },
    times: integer(`${option}.times`, step.times, 1, 1),
    concurrency: integer(`${option}.concurrency`, step.concurrency, 1, 1),
    expectStatus: statuses(`${option}.expectStatus`, step.expectStatus),
    transport,
    ...common,
    critical: boolean(`${option}.critical`, step.critical, true),
  };
}

type InjectRequest = Extract<WarmupStep, { kind: 'inject' }>['request'];

function readinessCheck(input: unknown, option: string): ReadinessCheck {
  const check = section(option, input ?? fail(option, 'an object', input), [
    'name',
    'check',
    'timeoutMs',
    'ttlMs',
    'critical',
  ]);
  return {
    name: labelValue(`${option}.name`, check.name, ''),
    check: fn(`${option}.check`, check.check),
    timeoutMs: integer(`${option}.timeoutMs`, check.timeoutMs, 1000, 1),
    ttlMs: integer(`${option}.ttlMs`, check.ttlMs, 2000, 0),
    critical: boolean(`${option}.critical`, check.critical, true),
  };
}

function list(option: string, value: unknown): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(option, 'an array', value);
  return value;
}

const SIGNALS: readonly string[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];

/** Validates every option at register time and resolves the defaults. */
export function resolveOptions(input: WarmscaleOptionsInput | undefined): WarmscaleOptions {
  const top = section('options', input, [
    'registry',
    'metrics',
    'probes',
    'warmup',
    'readiness',
    'shutdown',
    'connections',
  ]);
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

  const p = section('probes', top.probes, [
    'startupPath',
    'readinessPath',
    'livenessPath',
    'port',
    'host',
    'maxEventLoopDelayMs',
  ]);
  const probes: ProbeOptions = {
    startupPath: path('probes.startupPath', p.startupPath, '/startupz'),
    readinessPath: path('probes.readinessPath', p.readinessPath, '/readyz'),
    livenessPath: path('probes.livenessPath', p.livenessPath, '/livez'),
    port: p.port === null || p.port === undefined ? null : integer('probes.port', p.port, 0, 0, 65535),
    host: labelValue('probes.host', p.host, '0.0.0.0'),
    maxEventLoopDelayMs: integer('probes.maxEventLoopDelayMs', p.maxEventLoopDelayMs, 5000, 0),
  };
  const paths = [probes.startupPath, probes.readinessPath, probes.livenessPath, metrics.path];
  for (const [i, a] of paths.entries()) {
    if (a !== null && paths.indexOf(a) !== i) {
      throw new WarmscaleOptionError(`probe and metrics paths must differ (${JSON.stringify(a)} is used twice)`);
    }
  }

  const w = section('warmup', top.warmup, ['enabled', 'budgetMs', 'steps']);
  const warmup: WarmupOptions = {
    enabled: boolean('warmup.enabled', w.enabled, true),
    budgetMs: integer('warmup.budgetMs', w.budgetMs, 30000, 1),
    steps: Object.freeze(list('warmup.steps', w.steps).map((step, i) => resolveWarmupStep(step, `warmup.steps[${i}]`))),
  };

  const r = section('readiness', top.readiness, ['checks']);
  const checks = list('readiness.checks', r.checks).map((c, i) => readinessCheck(c, `readiness.checks[${i}]`));
  for (const [i, check] of checks.entries()) {
    if (checks.findIndex((c) => c.name === check.name) !== i) {
      fail(`readiness.checks[${i}].name`, 'unique', check.name);
    }
  }

  const d = section('shutdown', top.shutdown, [
    'signals',
    'delayMs',
    'drainTimeoutMs',
    'timeoutMs',
    'preStopSleepSeconds',
    'gracePeriodSeconds',
    'exit',
  ]);
  const signals = d.signals ?? ['SIGTERM', 'SIGINT'];
  if (!Array.isArray(signals) || !signals.every((sig) => SIGNALS.includes(sig))) {
    fail('shutdown.signals', `an array of ${SIGNALS.join(', ')}`, signals);
  }
  const shutdown: ShutdownOptions = {
    signals: Object.freeze([...(signals as NodeJS.Signals[])]),
    delayMs: integer('shutdown.delayMs', d.delayMs, 5000, 0),
    drainTimeoutMs: integer('shutdown.drainTimeoutMs', d.drainTimeoutMs, 10000, 0),
    timeoutMs: integer('shutdown.timeoutMs', d.timeoutMs, 20000, 1),
    preStopSleepSeconds: integer('shutdown.preStopSleepSeconds', d.preStopSleepSeconds, 0, 0),
    gracePeriodSeconds: optionalInteger('shutdown.gracePeriodSeconds', d.gracePeriodSeconds, 0),
    exit: fn('shutdown.exit', d.exit, (code: number) => process.exit(code)),
  };
  if (shutdown.delayMs > shutdown.timeoutMs) {
    throw new WarmscaleOptionError(
      `shutdown.delayMs must be <= shutdown.timeoutMs (got ${shutdown.delayMs} > ${shutdown.timeoutMs})`,
    );
  }
  if (shutdown.delayMs + shutdown.drainTimeoutMs > shutdown.timeoutMs) {
    throw new WarmscaleOptionError(
      `shutdown.delayMs + shutdown.drainTimeoutMs must be <= shutdown.timeoutMs (got ${shutdown.delayMs} + ${shutdown.drainTimeoutMs} > ${shutdown.timeoutMs})`,
    );
  }

  const c = section('connections', top.connections, ['maxRequests', 'maxAgeMs']);
  const connections: ConnectionOptions = {
    maxRequests: integer('connections.maxRequests', c.maxRequests, 1000, 0),
    maxAgeMs: integer('connections.maxAgeMs', c.maxAgeMs, 30000, 0),
  };

  return {
    registry: (top.registry as Registry | undefined) ?? new Registry(),
    metrics,
    probes,
    warmup,
    readiness: { checks: Object.freeze(checks) },
    shutdown,
    connections,
  };
}
