// What every entry point (the Fastify plugin, `/express`, `/http`) exports besides its adapter.
export type { Warmscale } from './core.js';
export { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from './exposition.js';
export { Lifecycle, type LifecycleEvents } from './lifecycle.js';
export type { Logger } from './logger.js';
export {
  type ConnectionOptions,
  type ConnectionOptionsInput,
  DEFAULT_DURATION_BUCKETS,
  type MetricsOptions,
  type MetricsOptionsInput,
  type ProbeOptions,
  type ProbeOptionsInput,
  type ReadinessOptionsInput,
  type ShutdownOptions,
  type ShutdownOptionsInput,
  WarmscaleOptionError,
  type WarmscaleOptions,
  type WarmscaleOptionsInput,
  type WarmupOptions,
  type WarmupOptionsInput,
} from './options.js';
export type { ProbeResponse } from './probes.js';
export type { CheckResult, ReadinessCheckInput } from './readiness-checks.js';
export type {
  DurationHistogramFamily,
  FamilySample,
  FamilySnapshot,
  RequestCounterFamily,
  SelfFormattingFamily,
} from './request-families.js';
export { CLIENT_CLOSED_REQUEST, type RequestMetrics } from './request-metrics.js';
export { envName, SETTING_LIST, SETTINGS, type Setting } from './settings.js';
export { LIFECYCLE_STATES, LifecycleState } from './states.js';
export type {
  FunctionWarmupStepInput,
  HttpMethod,
  InjectWarmupStepInput,
  WarmupContext,
  WarmupProgress,
  WarmupStepInput,
} from './warmup.js';
