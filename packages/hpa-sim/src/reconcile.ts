// Port of HorizontalController.reconcileAutoscaler and computeReplicasForMetric(s) (horizontal.go, kubernetes 1.33+):
// one sync of one HPA, composed from the calculators, the behavior or legacy normalization, and the histories the
// controller keeps in memory per HPA. Pure: the histories come in as `state` and go out updated.
import {
  normalizeDesiredReplicasWithBehaviors,
  type ScaleEvents,
  storeScaleEvent,
  type TimestampedRecommendation,
} from './behavior.js';
import { type Condition, type ConditionType, REASON_MESSAGES, setCondition } from './conditions.js';
import { LEGACY_SCALE_UP_LIMIT, type LegacyScaleUpLimit, normalizeDesiredReplicas } from './legacy.js';
import {
  milliValue,
  type Observation,
  podMetricsOf,
  type ResolvedObservation,
  resolveObservation,
} from './observation.js';
import { ReplicaCalculationError } from './pods.js';
import {
  getExternalMetricReplicas,
  getExternalPerPodMetricReplicas,
  getMetricReplicas,
  getObjectMetricReplicas,
  getObjectPerPodMetricReplicas,
  getRawResourceReplicas,
  getResourceReplicas,
  type Tolerances,
} from './replicas.js';
import type { AutoscalerSpec, MetricSource } from './spec.js';

/** kube-controller-manager flags and feature gates the algorithm depends on. */
export interface ControllerOptions {
  /** `--horizontal-pod-autoscaler-tolerance`. @defaultValue 0.1 */
  readonly tolerance: number;
  /** `--horizontal-pod-autoscaler-downscale-stabilization`, in seconds. @defaultValue 300 */
  readonly downscaleStabilizationWindowSeconds: number;
  /** `--horizontal-pod-autoscaler-cpu-initialization-period`, in seconds. @defaultValue 300 */
  readonly cpuInitializationPeriodSeconds: number;
  /** `--horizontal-pod-autoscaler-initial-readiness-delay`, in seconds. @defaultValue 30 */
  readonly delayOfInitialReadinessStatusSeconds: number;
  /** The `HPAConfigurableTolerance` gate (beta, on by default since 1.35). @defaultValue true */
  readonly configurableTolerance: boolean;
  /** The legacy path's `scaleUpLimitFactor` and `scaleUpLimitMinimum`. @defaultValue `{ factor: 2, minimum: 4 }` */
  readonly legacyScaleUpLimit: LegacyScaleUpLimit;
}

/** {@link ControllerOptions} with every field optional. */
export type ControllerOptionsInput = Partial<ControllerOptions>;

/** kube-controller-manager's defaults. */
export const DEFAULT_CONTROLLER_OPTIONS: ControllerOptions = {
  tolerance: 0.1,
  downscaleStabilizationWindowSeconds: 300,
  cpuInitializationPeriodSeconds: 300,
  delayOfInitialReadinessStatusSeconds: 30,
  configurableTolerance: true,
  legacyScaleUpLimit: LEGACY_SCALE_UP_LIMIT,
};

/** What the controller keeps in memory for one HPA between syncs; lost on a controller restart. */
export interface AutoscalerState {
  /**
   * `recommendations[key]`. `undefined` before the first sync, which seeds it with the current replica count, so
   * a scale-down waits a full window after a (re)start. An empty array does not seed, as upstream's tests rely on.
   */
  readonly recommendations?: readonly TimestampedRecommendation[];
  /** `scaleUpEvents[key]` and `scaleDownEvents[key]`. */
  readonly events: ScaleEvents;
  /** `status.conditions` as last written. */
  readonly conditions: readonly Condition[];
}

/** The state of an HPA the controller has not seen yet. */
export const INITIAL_STATE: AutoscalerState = { events: { up: [], down: [] }, conditions: [] };

/** `status.currentMetrics[]` entry: what one metric measured. Values are milli-units. */
export interface MetricStatus {
  readonly averageValue?: number;
  readonly averageUtilization?: number;
  readonly value?: number;
}

/** The outcome of one metric at this sync. */
export interface MetricResult {
  readonly source: MetricSource;
  /** The replica proposal, or `null` when the metric failed. */
  readonly replicas: number | null;
  readonly current: MetricStatus | null;
  /** The error, prefixed as upstream logs it, or `null`. */
  readonly error: string | null;
}

/** The outcome of one sync. */
export interface ReconcileResult {
  /** The replica count the controller leaves the target at: the new count when it rescales, else the current one. */
  readonly desiredReplicas: number;
  /** Whether the controller updates `scale.spec.replicas`. */
  readonly rescale: boolean;
  /** The reason of the `SuccessfulRescale` event, e.g. `"pods metric qps above target"`, or `null`. */
  readonly rescaleReason: string | null;
  /** The maximum over valid metric proposals, before stabilization and limits; `null` when not computed. */
  readonly metricDesiredReplicas: number | null;
  readonly metrics: readonly MetricResult[];
  readonly conditions: readonly Condition[];
  /** Set when metrics failed: the `FailedComputeMetricsReplicas` event message. */
  readonly error: string | null;
  /** The state to pass to the next sync. */
  readonly state: AutoscalerState;
}

/** Fills unset options with kube-controller-manager's defaults and rejects impossible values. */
export function resolveControllerOptions(input: ControllerOptionsInput = {}): ControllerOptions {
  const options = { ...DEFAULT_CONTROLLER_OPTIONS, ...input };
  const nonNegative: (keyof ControllerOptions)[] = [
    'tolerance',
    'downscaleStabilizationWindowSeconds',
    'cpuInitializationPeriodSeconds',
    'delayOfInitialReadinessStatusSeconds',
  ];
  for (const key of nonNegative) {
    const value = options[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`controller option ${key} must be a finite number >= 0 (got ${String(value)})`);
    }
  }
  return options;
}

/** `tolerancesForHpa`: the flag, overridden per direction by `behavior.*.tolerance` when the gate is on. */
export function tolerancesForHpa(spec: AutoscalerSpec, options: ControllerOptions): Tolerances {
  const fallback = { scaleDown: options.tolerance, scaleUp: options.tolerance };
  if (spec.behavior === null || !options.configurableTolerance) return fallback;
  return {
    scaleDown: spec.behavior.scaleDown.tolerance ?? options.tolerance,
    scaleUp: spec.behavior.scaleUp.tolerance ?? options.tolerance,
  };
}

interface Proposal {
  readonly replicas: number;
  readonly current: MetricStatus;
  /** How upstream names the metric in conditions and events. */
  readonly description: string;
}

const FAILED_REASON: Readonly<Record<MetricSource['type'], string>> = {
  Pods: 'FailedGetPodsMetric',
  Resource: 'FailedGetResourceMetric',
  Object: 'FailedGetObjectMetric',
  External: 'FailedGetExternalMetric',
};

function failedPrefix(source: MetricSource): string {
  switch (source.type) {
    case 'Pods':
      return 'failed to get pods metric value';
    case 'Resource':
      return `failed to get ${source.name} resource metric value: failed to get ${source.name} ${
        source.target.type === 'Utilization' ? 'utilization' : 'usage'
      }`;
    case 'Object':
      return 'failed to get object metric value';
    case 'External':
      return `failed to get ${source.name} external metric value`;
  }
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new ReplicaCalculationError(message);
  return value;
}

/** `computeReplicasForMetric`: dispatches one metric to its calculator. */
function computeReplicasForMetric(
  source: MetricSource,
  spec: AutoscalerSpec,
  observation: ResolvedObservation,
  tolerances: Tolerances,
  options: ControllerOptions,
): Proposal {
  const { now, pods, metrics } = observation;
  const readiness = {
    now,
    cpuInitializationPeriodSeconds: options.cpuInitializationPeriodSeconds,
    delayOfInitialReadinessStatusSeconds: options.delayOfInitialReadinessStatusSeconds,
  };
  switch (source.type) {
    case 'Pods': {
      const samples = podMetricsOf(metrics.pods?.[source.name] ?? {}, now);
      const result = getMetricReplicas({
        currentReplicas: observation.specReplicas,
        targetUsage: source.target.averageValue,
        metricName: source.name,
        tolerances,
        pods,
        metrics: samples,
        readiness,
      });
      return {
        replicas: result.replicaCount,
        current: { averageValue: result.usage },
        description: `pods metric ${source.name}`,
      };
    }
    case 'Resource': {
      const samples = podMetricsOf(metrics.resource?.[source.name] ?? {}, now);
      const common = { currentReplicas: observation.specReplicas, resource: source.name, tolerances, pods };
      if (source.target.type === 'AverageValue') {
        const result = getRawResourceReplicas({
          ...common,
          targetUsage: source.target.averageValue,
          metrics: samples,
          readiness,
        });
        return {
          replicas: result.replicaCount,
          current: { averageValue: result.usage },
          description: `${source.name} resource`,
        };
      }
      const result = getResourceReplicas({
        ...common,
        targetUtilization: source.target.averageUtilization,
        metrics: samples,
        readiness,
      });
      return {
        replicas: result.replicaCount,
        current: { averageUtilization: result.utilization, averageValue: result.rawUtilization },
        description: `${source.name} resource utilization (percentage of request)`,
      };
    }
    case 'Object': {
      const { kind, name } = source.describedObject;
      const sample = required(
        metrics.object?.[source.name],
        `unable to get metric ${source.name} on ${kind} ${spec.namespace}/${name}: no metrics returned from custom metrics API`,
      );
      const usage = milliValue(sample);
      if (source.target.type === 'Value') {
        const result = getObjectMetricReplicas({
          currentReplicas: observation.specReplicas,
          usage,
          targetUsage: source.target.value,
          tolerances,
          pods,
        });
        return {
          replicas: result.replicaCount,
          current: { value: result.usage },
          description: `${kind} metric ${source.name}`,
        };
      }
      const result = getObjectPerPodMetricReplicas({
        statusReplicas: observation.statusReplicas,
        usage,
        targetAverageUsage: source.target.averageValue,
        tolerances,
      });
      // Upstream names this case "external metric" too (a copy of the External branch).
      return {
        replicas: result.replicaCount,
        current: { averageValue: result.usage },
        description: `external metric ${source.name}`,
      };
    }
    case 'External': {
      const values = (metrics.external?.[source.name] ?? []).map(milliValue);
      if (source.target.type === 'AverageValue') {
        const result = getExternalPerPodMetricReplicas({
          statusReplicas: observation.statusReplicas,
          metricName: source.name,
          values,
          targetAverageUsage: source.target.averageValue,
          tolerances,
        });
        return {
          replicas: result.replicaCount,
          current: { averageValue: result.usage },
          description: `external metric ${source.name}`,
        };
      }
      const result = getExternalMetricReplicas({
        currentReplicas: observation.specReplicas,
        metricName: source.name,
        values,
        targetUsage: source.target.value,
        tolerances,
        pods,
      });
      return {
        replicas: result.replicaCount,
        current: { value: result.usage },
        description: `external metric ${source.name}`,
      };
    }
  }
}

/** Result of {@link computeReplicasForMetrics}. */
export interface MetricsProposal {
  /** The maximum proposal, or `-1` when the controller must not scale (all failed, or some failed and it points down). */
  readonly replicas: number;
  readonly description: string;
  readonly metrics: MetricResult[];
  /** The `ScalingActive` condition to set. */
  readonly condition: Condition;
  /** The aggregated error when any metric failed. */
  readonly error: string | null;
}

/**
 * `computeReplicasForMetrics`: the maximum over valid proposals (the first wins a tie). A failed metric blocks
 * the sync when every metric failed, or when the valid ones would scale below `scale.spec.replicas`: partial data
 * may scale up, never down.
 */
export function computeReplicasForMetrics(
  spec: AutoscalerSpec,
  observation: ResolvedObservation,
  options: ControllerOptions,
): MetricsProposal {
  const tolerances = tolerancesForHpa(spec, options);
  const results: MetricResult[] = [];
  let replicas = 0;
  let description = '';
  let invalid = 0;
  let firstError: { message: string; reason: string } | null = null;
  for (const source of spec.metrics) {
    try {
      const proposal = computeReplicasForMetric(source, spec, observation, tolerances, options);
      results.push({ source, replicas: proposal.replicas, current: proposal.current, error: null });
      if (replicas === 0 || proposal.replicas > replicas) {
        replicas = proposal.replicas;
        description = proposal.description;
      }
    } catch (error) {
      if (!(error instanceof ReplicaCalculationError)) throw error;
      const message = `${failedPrefix(source)}: ${error.message}`;
      results.push({ source, replicas: null, current: null, error: message });
      firstError ??= { message, reason: FAILED_REASON[source.type] };
      invalid += 1;
    }
  }
  const error =
    firstError === null
      ? null
      : `invalid metrics (${invalid} invalid out of ${spec.metrics.length}), first error is: ${firstError.message}`;
  if (firstError !== null && (invalid >= spec.metrics.length || replicas < observation.specReplicas)) {
    return {
      replicas: -1,
      description: '',
      metrics: results,
      condition: {
        type: 'ScalingActive',
        status: 'False',
        reason: firstError.reason,
        message: `the HPA was unable to compute the replica count: ${firstError.message}`,
      },
      error,
    };
  }
  return {
    replicas,
    description,
    metrics: results,
    condition: {
      type: 'ScalingActive',
      status: 'True',
      reason: 'ValidMetricFound',
      message: `the HPA was able to successfully calculate a replica count from ${description}`,
    },
    error,
  };
}

function condition(type: ConditionType, status: 'True' | 'False', reason: string, message: string): Condition {
  return { type, status, reason, message };
}

/**
 * One sync of one HPA (`reconcileAutoscaler`), assuming the scale update succeeds. Order of operations:
 * seed the recommendation history; at 0 replicas scaling is disabled; outside [min, max] the count is clamped with
 * no metrics read; otherwise metrics → maximum proposal → behavior (or legacy) normalization; on a change, the
 * scale event is stored for the rate limits.
 */
export function reconcileAutoscaler(
  spec: AutoscalerSpec,
  state: AutoscalerState | undefined,
  observation: Observation,
  options: ControllerOptionsInput = {},
): ReconcileResult {
  const resolvedOptions = resolveControllerOptions(options);
  const previous = state ?? INITIAL_STATE;
  const view = resolveObservation(observation);
  const { now } = view;
  const currentReplicas = view.specReplicas;
  let conditions = setCondition(
    previous.conditions,
    condition(
      'AbleToScale',
      'True',
      'SucceededGetScale',
      "the HPA controller was able to get the target's current scale",
    ),
  );
  let recommendations = previous.recommendations ?? [{ recommendation: currentReplicas, timestamp: now }];
  let desiredReplicas = 0;
  let rescaleReason: string | null = null;
  let metricDesiredReplicas: number | null = null;
  let metrics: MetricResult[] = [];
  let error: string | null = null;
  let rescale = true;

  if (currentReplicas === 0) {
    // Without the alpha HPAScaleToZero gate a target at 0 (scaled by hand) pauses the HPA.
    rescale = false;
    conditions = setCondition(
      conditions,
      condition(
        'ScalingActive',
        'False',
        'ScalingDisabled',
        'scaling is disabled since the replica count of the target is zero',
      ),
    );
  } else if (currentReplicas > spec.maxReplicas) {
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
    desiredReplicas = spec.maxReplicas;
  } else if (currentReplicas < spec.minReplicas) {
    rescaleReason = 'Current number of replicas below Spec.MinReplicas';
    desiredReplicas = spec.minReplicas;
  } else {
    const proposal = computeReplicasForMetrics(spec, view, resolvedOptions);
    metrics = proposal.metrics;
    error = proposal.error;
    conditions = setCondition(conditions, proposal.condition);
    if (proposal.replicas === -1) {
      return {
        desiredReplicas: currentReplicas,
        rescale: false,
        rescaleReason: null,
        metricDesiredReplicas: null,
        metrics,
        conditions,
        error,
        state: { ...previous, recommendations, conditions },
      };
    }
    metricDesiredReplicas = proposal.replicas;
    desiredReplicas = Math.max(desiredReplicas, proposal.replicas);
    if (desiredReplicas > currentReplicas) rescaleReason = `${proposal.description} above target`;
    if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
    const normalized =
      spec.behavior === null
        ? normalizeDesiredReplicas({
            minReplicas: spec.minReplicas,
            maxReplicas: spec.maxReplicas,
            currentReplicas,
            prenormalizedDesiredReplicas: desiredReplicas,
            downscaleStabilizationWindowSeconds: resolvedOptions.downscaleStabilizationWindowSeconds,
            recommendations,
            scaleUpLimit: resolvedOptions.legacyScaleUpLimit,
            now,
          })
        : normalizeDesiredReplicasWithBehaviors({
            behavior: spec.behavior,
            minReplicas: spec.minReplicas,
            maxReplicas: spec.maxReplicas,
            currentReplicas,
            prenormalizedDesiredReplicas: desiredReplicas,
            downscaleStabilizationWindowSeconds: resolvedOptions.downscaleStabilizationWindowSeconds,
            recommendations,
            events: previous.events,
            now,
          });
    recommendations = normalized.recommendations;
    conditions = setCondition(
      conditions,
      condition('AbleToScale', 'True', normalized.ableToScale, REASON_MESSAGES[normalized.ableToScale]),
    );
    conditions = setCondition(
      conditions,
      condition(
        'ScalingLimited',
        normalized.limited ? 'True' : 'False',
        normalized.scalingLimited,
        REASON_MESSAGES[normalized.scalingLimited],
      ),
    );
    desiredReplicas = normalized.desiredReplicas;
    rescale = desiredReplicas !== currentReplicas;
  }

  let events = previous.events;
  if (rescale) {
    conditions = setCondition(
      conditions,
      condition(
        'AbleToScale',
        'True',
        'SucceededRescale',
        `the HPA controller was able to update the target scale to ${desiredReplicas}`,
      ),
    );
    events = storeScaleEvent(spec.behavior, events, currentReplicas, desiredReplicas, now);
  } else {
    desiredReplicas = currentReplicas;
    rescaleReason = null;
  }
  return {
    desiredReplicas,
    rescale,
    rescaleReason,
    metricDesiredReplicas,
    metrics,
    conditions,
    error,
    state: { recommendations, events, conditions },
  };
}
