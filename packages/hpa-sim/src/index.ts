// @warmscale/hpa-sim: the Kubernetes HPA algorithm as pure functions, a stateful controller for live loops, and a
// simulator of the metrics pipeline around it.

export { APP_ENV_PREFIX, APP_SETTINGS, type AppSetting, appEnvName } from './app-settings.js';
export {
  calculateScaleDownLimitWithBehaviors,
  calculateScaleUpLimitWithScalingRules,
  convertDesiredReplicasWithBehaviorRate,
  getReplicasChangePerPeriod,
  type Normalization,
  type NormalizationArg,
  normalizeDesiredReplicasWithBehaviors,
  type ScaleEvents,
  type Stabilization,
  type StabilizationInput,
  stabilizeRecommendationWithBehaviors,
  storeScaleEvent,
  type TimestampedRecommendation,
  type TimestampedScaleEvent,
} from './behavior.js';
export type { Condition, ConditionType, NormalizationReason, ReasonedReplicas } from './conditions.js';
export {
  type DecisionInput,
  decideReplicas,
  HorizontalController,
  type HpaInput,
  hpaKey,
  resolveHpa,
} from './controller.js';
export {
  DEFAULT_SCALE_DOWN_RULES,
  DEFAULT_SCALE_UP_RULES,
  generateHPAScaleDownRules,
  generateHPAScaleUpRules,
  type ScalingRulesInput,
} from './defaults.js';
export {
  calculateScaleUpLimit,
  convertDesiredReplicasWithRules,
  LEGACY_SCALE_UP_LIMIT,
  type LegacyScaleUpLimit,
  normalizeDesiredReplicas,
  stabilizeRecommendation,
} from './legacy.js';
export {
  formatLint,
  LINT_RULES,
  type LintFinding,
  type LintInput,
  LintInputError,
  type LintResult,
  type LintRule,
  lintManifests,
  promDurationSeconds,
} from './lint.js';
export {
  type HorizontalPodAutoscalerManifest,
  ManifestError,
  type MetricSpecManifest,
  parseHpa,
  pickHpa,
  type ScalingRulesManifest,
} from './manifest.js';
export {
  type MetricsSnapshot,
  milliValue,
  type Observation,
  type PodInput,
  type PodSampleInput,
  podMetricsOf,
  type ResolvedObservation,
  resolveObservation,
  type SampleInput,
} from './observation.js';
export {
  calculateRequests,
  groupPods,
  type PodGroups,
  type PodInfo,
  type PodMetric,
  type PodMetricsInfo,
  type PodPhase,
  type ReadinessOptions,
  ReplicaCalculationError,
} from './pods.js';
export { formatMilliQuantity, parseQuantity, type Quantity, QuantityError } from './quantity.js';
export {
  type AutoscalerState,
  type ControllerOptions,
  type ControllerOptionsInput,
  computeReplicasForMetrics,
  DEFAULT_CONTROLLER_OPTIONS,
  INITIAL_STATE,
  type MetricResult,
  type MetricStatus,
  type ReconcileResult,
  reconcileAutoscaler,
  resolveControllerOptions,
  tolerancesForHpa,
} from './reconcile.js';
export {
  calcPlainMetricReplicas,
  getExternalMetricReplicas,
  getExternalPerPodMetricReplicas,
  getMetricReplicas,
  getMetricUsageRatio,
  getObjectMetricReplicas,
  getObjectPerPodMetricReplicas,
  getPerPodUsage,
  getRawResourceReplicas,
  getResourceReplicas,
  getResourceUtilizationRatio,
  isWithinTolerance,
  MAX_INT32,
  MAX_INT64,
  type MetricReplicas,
  type ResourceReplicas,
  type Tolerances,
} from './replicas.js';
export { describeSetup, describeSummary, formatReport, formatTable } from './report.js';
export {
  type ResourceModel,
  SimulationError,
  type SimulationOptions,
  type SimulationOptionsInput,
  type SimulationResult,
  type SimulationSummary,
  simulate,
  type TimelineRow,
} from './simulate.js';
export type {
  AutoscalerSpec,
  AverageValueTarget,
  Behavior,
  ExternalMetricSource,
  MetricSource,
  ObjectMetricSource,
  PodsMetricSource,
  ResourceMetricSource,
  ScalingPolicy,
  ScalingRules,
  SelectPolicy,
  UtilizationTarget,
  ValueTarget,
} from './spec.js';
export { renderSvg, summaryLine } from './svg.js';
export {
  PROFILES,
  type ProfileName,
  type ProfileOptions,
  parseTrace,
  profileTrace,
  TraceError,
  type TracePoint,
  trafficAt,
  validateTrace,
} from './traces.js';
