import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Registry } from 'prom-client';
import { type EnvironmentSettings, readEnvironment } from './environment.js';
import { WarmscaleOptionError } from './errors.js';
import type { ReadinessCheck, ReadinessCheckInput } from './readiness-checks.js';
import { SETTINGS, type SettingSection } from './settings.js';
import { HTTP_METHODS, type HttpMethod, type WarmupStep, type WarmupStepInput } from './warmup.js';

export { WarmscaleOptionError } from './errors.js';
export { DEFAULT_DURATION_BUCKETS } from './settings.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** The resolved values of one section of settings, typed from their declaration in settings.ts. */
type Section<K extends SettingSection> = {
  readonly [P in keyof (typeof SETTINGS)[K]]: (typeof SETTINGS)[K][P] extends TSchema
    ? Readonly<Static<(typeof SETTINGS)[K][P]>>
    : never;
};

/** Request metrics and the `/metrics` endpoint (documented in the README's settings table). */
export type MetricsOptions = Section<'metrics'>;
export type MetricsOptionsInput = Partial<MetricsOptions>;
/** The startup, readiness and liveness probes. */
export type ProbeOptions = Section<'probes'>;
export type ProbeOptionsInput = Partial<ProbeOptions>;
/** The warm-up that gates startup and readiness. */
export type WarmupOptions = Section<'warmup'> & { readonly steps: readonly WarmupStep[] };
export type WarmupOptionsInput = Partial<Section<'warmup'>> & {
  /** Steps run in order after the server listens; more can be added with `addWarmupStep`. */
  readonly steps?: readonly WarmupStepInput[];
};
/** The readiness checks (dependencies) behind `/readyz`. */
export interface ReadinessOptionsInput {
  readonly checks?: readonly ReadinessCheckInput[];
}
/** The graceful shutdown. */
export type ShutdownOptions = Omit<Section<'shutdown'>, 'gracePeriodSeconds'> & {
  readonly gracePeriodSeconds: number | undefined;
  /** How the process exits at the end of the shutdown. */
  readonly exit: (code: number) => void;
};
export type ShutdownOptionsInput = Partial<Section<'shutdown'>> & {
  /** How the process exits at the end of the shutdown (replace it in tests). @defaultValue `process.exit` */
  readonly exit?: (code: number) => void;
};
/** Connection recycling, which lets scale-out spread keep-alive traffic. */
export type ConnectionOptions = Section<'connections'>;
export type ConnectionOptionsInput = Partial<ConnectionOptions>;
/** Admission control: a concurrency cap with slow start, and an event-loop guard. */
export type AdmissionOptions = Section<'admission'>;
export type AdmissionOptionsInput = Partial<AdmissionOptions>;

/** Options of `@warmscale/middleware`; every field is optional, and the `WARMSCALE_*` variables set the defaults. */
export interface WarmscaleOptionsInput {
  /** Registry for every metric. @defaultValue a new `Registry` per instance */
  readonly registry?: Registry;
  /** Where the `WARMSCALE_*` variables are read from. @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly metrics?: MetricsOptionsInput;
  readonly probes?: ProbeOptionsInput;
  readonly warmup?: WarmupOptionsInput;
  readonly readiness?: ReadinessOptionsInput;
  readonly shutdown?: ShutdownOptionsInput;
  readonly connections?: ConnectionOptionsInput;
  readonly admission?: AdmissionOptionsInput;
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
  readonly admission: AdmissionOptions;
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

/** Checks one value against its declared schema; arrays are checked item by item, so the message names the item. */
function check(name: string, schema: TSchema, value: unknown): void {
  if (Array.isArray(value)) {
    const items = (Array.isArray(schema.anyOf) ? (schema.anyOf as TSchema[]).find((s) => s.type === 'array') : schema)
      ?.items as TSchema | undefined;
    if (items?.expected !== undefined) {
      for (const [i, item] of value.entries())
        if (!Value.Check(items, item)) fail(`${name}[${i}]`, items.expected, item);
    }
  }
  if (!Value.Check(schema, value)) fail(name, String(schema.expected), value);
}

/**
 * Resolves the declared settings of one section: a value passed in code wins over its `WARMSCALE_*` variable, which
 * wins over the declared default. `names` receives, per option path, the name to use in messages (the variable's
 * when the value came from the environment).
 */
function settingsOf<K extends SettingSection>(
  name: K,
  given: Record<string, unknown>,
  env: EnvironmentSettings,
  names: Map<string, string>,
): Mutable<Section<K>> {
  const resolved: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(SETTINGS[name] as Record<string, TSchema>)) {
    const path = `${name}.${key}`;
    const fromEnv = env.values[name]?.[key];
    const source = given[key] !== undefined ? path : fromEnv !== undefined ? (env.sources.get(path) ?? path) : path;
    const value =
      given[key] !== undefined ? given[key] : fromEnv !== undefined ? fromEnv : structuredClone(schema.default);
    if (value !== undefined) check(source, schema, value);
    names.set(path, source);
    resolved[key] = Array.isArray(value) ? Object.freeze(value) : value;
  }
  return resolved as Mutable<Section<K>>;
}

function fn<T>(option: string, value: unknown, fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'function') fail(option, 'a function', value);
  return value as T;
}

function integer(option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    fail(option, `an integer from ${min}`, value);
  return value;
}

function optionalInteger(option: string, value: unknown, min: number): number | undefined {
  return value === undefined ? undefined : integer(option, value, 0, min);
}

function boolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(option, 'a boolean', value);
  return value;
}

/** A non-empty string; `fallback` when absent, or required when there is none. */
function labelValue(option: string, value: unknown, fallback?: string): string {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) fail(option, 'a non-empty string', value);
  return value;
}

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
      name: labelValue(`${option}.name`, step.name),
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
  if (typeof method !== 'string' || !(HTTP_METHODS as readonly string[]).includes(method)) {
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
    name: labelValue(`${option}.name`, step.name, `${method} ${url}`),
    request: { ...(request as InjectRequest), method: method as HttpMethod, url },
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
    name: labelValue(`${option}.name`, check.name),
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

const CODE_ONLY = {
  warmup: ['steps'],
  shutdown: ['exit'],
} as const;

/**
 * Validates every option (and every `WARMSCALE_*` variable of `input.env`, default `process.env`) and resolves the
 * defaults. Messages name the option path, or the variable when the value came from the environment.
 */
export function resolveOptions(input: WarmscaleOptionsInput | undefined): WarmscaleOptions {
  const top = section('options', input, [
    'registry',
    'env',
    'metrics',
    'probes',
    'warmup',
    'readiness',
    'shutdown',
    'connections',
    'admission',
  ]);
  if (top.registry !== undefined && !(top.registry instanceof Registry)) {
    fail(
      'registry',
      "a prom-client Registry (from the same prom-client copy as @warmscale/middleware's)",
      top.registry,
    );
  }
  if (top.env !== undefined && (typeof top.env !== 'object' || top.env === null)) fail('env', 'an object', top.env);
  const env = readEnvironment((top.env as Record<string, string | undefined> | undefined) ?? process.env);
  const names = new Map<string, string>();
  const name = (path: string): string => names.get(path) ?? path;
  const given = (key: SettingSection): Record<string, unknown> =>
    section(key, top[key], [
      ...Object.keys(SETTINGS[key]),
      ...((CODE_ONLY as Record<string, readonly string[]>)[key] ?? []),
    ]);

  const metrics = settingsOf('metrics', given('metrics'), env, names);
  const buckets = metrics.durationBuckets;
  if (buckets !== false && !buckets.every((b, i) => i === 0 || b > (buckets[i - 1] as number))) {
    fail(name('metrics.durationBuckets'), String(SETTINGS.metrics.durationBuckets.expected), buckets);
  }
  // OpenMetrics names the counter's family without `_total`: the histogram may not take that name either.
  const counterFamily = metrics.requestsTotalName.slice(0, -'_total'.length);
  if (metrics.durationName === metrics.requestsTotalName || metrics.durationName === counterFamily) {
    throw new WarmscaleOptionError(
      `${name('metrics.durationName')} must differ from ${name('metrics.requestsTotalName')} and its family name ${JSON.stringify(counterFamily)} (got ${JSON.stringify(metrics.durationName)})`,
    );
  }

  const probes = settingsOf('probes', given('probes'), env, names);
  const paths = [probes.startupPath, probes.readinessPath, probes.livenessPath, metrics.path];
  for (const [i, a] of paths.entries()) {
    if (a !== null && paths.indexOf(a) !== i) {
      throw new WarmscaleOptionError(`probe and metrics paths must differ (${JSON.stringify(a)} is used twice)`);
    }
  }

  const w = given('warmup');
  const warmup: WarmupOptions = {
    ...settingsOf('warmup', w, env, names),
    steps: Object.freeze(list('warmup.steps', w.steps).map((step, i) => resolveWarmupStep(step, `warmup.steps[${i}]`))),
  };

  const r = section('readiness', top.readiness, ['checks']);
  const checks = list('readiness.checks', r.checks).map((c, i) => readinessCheck(c, `readiness.checks[${i}]`));
  for (const [i, c] of checks.entries()) {
    if (checks.findIndex((other) => other.name === c.name) !== i) fail(`readiness.checks[${i}].name`, 'unique', c.name);
  }

  const d = given('shutdown');
  const shutdown: ShutdownOptions = {
    ...settingsOf('shutdown', d, env, names),
    exit: fn('shutdown.exit', d.exit, (code: number) => process.exit(code)),
  };
  if (shutdown.delayMs > shutdown.timeoutMs) {
    throw new WarmscaleOptionError(
      `${name('shutdown.delayMs')} must be <= ${name('shutdown.timeoutMs')} (got ${shutdown.delayMs} > ${shutdown.timeoutMs})`,
    );
  }
  if (shutdown.delayMs + shutdown.drainTimeoutMs > shutdown.timeoutMs) {
    throw new WarmscaleOptionError(
      `${name('shutdown.delayMs')} + ${name('shutdown.drainTimeoutMs')} must be <= ${name('shutdown.timeoutMs')} (got ${shutdown.delayMs} + ${shutdown.drainTimeoutMs} > ${shutdown.timeoutMs})`,
    );
  }

  const admission = settingsOf('admission', given('admission'), env, names);
  if (admission.slowStartMs > 0 && admission.maxInFlight === 0) {
    throw new WarmscaleOptionError(
      `${name('admission.slowStartMs')} needs ${name('admission.maxInFlight')} > 0: slow start ramps that cap (got ${admission.slowStartMs} with no cap)`,
    );
  }

  const registry = (top.registry as Registry | undefined) ?? new Registry();
  const taken = (metric: string): boolean => registry.getSingleMetric(metric) !== undefined;
  const families: Array<readonly [string, string]> = [['metrics.requestsTotalName', metrics.requestsTotalName]];
  if (metrics.durationBuckets !== false) families.push(['metrics.durationName', metrics.durationName]);
  for (const [option, metric] of families) {
    if (taken(metric)) {
      throw new WarmscaleOptionError(
        `${name(option)} must not name a metric the registry already holds (got ${JSON.stringify(metric)})`,
      );
    }
  }
  if (taken('warmscale_lifecycle_state')) {
    throw new WarmscaleOptionError(
      'registry must not be shared by two warmscale instances (it holds warmscale_lifecycle_state)',
    );
  }
  if (metrics.defaultMetrics && taken('process_cpu_user_seconds_total')) {
    throw new WarmscaleOptionError(
      `${name('metrics.defaultMetrics')} must be false when the registry already holds prom-client's default metrics`,
    );
  }

  return {
    registry,
    metrics,
    probes,
    warmup,
    readiness: { checks: Object.freeze(checks) },
    shutdown,
    connections: settingsOf('connections', given('connections'), env, names),
    admission,
  };
}
