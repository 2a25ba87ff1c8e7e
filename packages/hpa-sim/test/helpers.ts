// Fixtures shared by the ported upstream tests: the same scenarios as replica_calculator_test.go and
// horizontal_test.go, expressed as data with explicit times.
import {
  type AutoscalerSpec,
  type ControllerOptionsInput,
  generateHPAScaleDownRules,
  generateHPAScaleUpRules,
  type MetricSource,
  type PodInfo,
  type PodInput,
  type PodMetric,
  type PodPhase,
  type ScalingRules,
  type ScalingRulesInput,
  type TimestampedRecommendation,
  type TimestampedScaleEvent,
} from '@warmscale/hpa-sim';

/** The evaluation time of every ported test; histories are written relative to it. */
export const NOW = 1_000_000;
/** Go's zero `time.Time`, which upstream fixtures use for "never set": long before any initialisation period. */
export const ZERO_TIME = NOW - 1e9;
/** `hotCPUCreationTime()` / `timeNow()`. */
export const HOT = NOW;
/** `coolCPUCreationTime()` / `time3MinsAgo()`. */
export const COOL = NOW - 180;

/** `defaultTestingTolerance` and friends, plus the `scaleUpLimitFactor = 8` of horizontal_test.go's `init()`. */
export const TESTING_OPTIONS: ControllerOptionsInput = {
  tolerance: 0.1,
  cpuInitializationPeriodSeconds: 120,
  delayOfInitialReadinessStatusSeconds: 10,
  downscaleStabilizationWindowSeconds: 300,
  legacyScaleUpLimit: { factor: 8, minimum: 4 },
};

export const READINESS = {
  now: NOW,
  cpuInitializationPeriodSeconds: 120,
  delayOfInitialReadinessStatusSeconds: 10,
};

/** `generateScalingRules`: Max policy, a Pods and/or a Percent policy (0 leaves it out), a window. */
export function generateScalingRules(
  pods: number,
  podsPeriod: number,
  percent: number,
  percentPeriod: number,
  stabilizationWindow: number,
): ScalingRulesInput {
  const policies: ScalingRules['policies'][number][] = [];
  if (pods !== 0) policies.push({ type: 'Pods', value: pods, periodSeconds: podsPeriod });
  if (percent !== 0) policies.push({ type: 'Percent', value: percent, periodSeconds: percentPeriod });
  return { stabilizationWindowSeconds: stabilizationWindow, selectPolicy: 'Max', policies };
}

/** `generateEventsUniformDistribution`: events centred in equal segments of the last `periodSeconds`. */
export function generateEventsUniformDistribution(rawEvents: number[], periodSeconds: number): TimestampedScaleEvent[] {
  const segment = periodSeconds / rawEvents.length;
  return rawEvents.map((replicaChange, idx) => ({
    replicaChange,
    timestamp: NOW - Math.trunc(periodSeconds - segment * (idx + 1) + segment / 2),
    outdated: false,
  }));
}

/** Recommendations `[value, secondsAgo]`. */
export function recommendations(...entries: [number, number][]): TimestampedRecommendation[] {
  return entries.map(([recommendation, ago]) => ({ recommendation, timestamp: NOW - ago }));
}

/** `calcScenario` of replica_calculator_test.go: two containers per pod, values given per container. */
export interface CalcScenario {
  readonly currentReplicas: number;
  /** Per-container CPU request of pod i, milli-units. */
  readonly requests?: readonly number[];
  /** CPU usage of each container of pod i; fewer than two entries leave the pod without a sample. */
  readonly levels?: readonly (readonly number[])[];
  /** Custom metric samples for test-pod-i. */
  readonly metricLevels?: readonly number[];
  readonly podNames?: readonly string[];
  readonly podReadiness?: readonly boolean[];
  readonly podStartTime?: readonly number[];
  readonly podPhase?: readonly PodPhase[];
  readonly podDeletionTimestamp?: readonly boolean[];
}

/** The pods `newFakePodClient` lists for a calcScenario. */
export function calcPods(f: CalcScenario): PodInfo[] {
  const count = Math.max(f.currentReplicas, f.podPhase?.length ?? 0);
  return Array.from({ length: count }, (_, i): PodInfo => {
    const request = f.requests?.[i];
    return {
      name: `test-pod-${i}`,
      phase: f.podPhase?.[i] ?? 'Running',
      ready: f.podReadiness?.[i] ?? true,
      startTime: f.podStartTime?.[i] ?? ZERO_TIME,
      // buildFakePod sets no lastTransitionTime.
      readyTransitionTime: ZERO_TIME,
      deleting: f.podDeletionTimestamp?.[i] ?? false,
      requests: request === undefined ? {} : { cpu: 2 * request },
    };
  });
}

/** The samples the fake resource metrics client returns: a pod sums its containers, and needs both. */
export function calcCpuMetrics(f: CalcScenario): Map<string, PodMetric> {
  const metrics = new Map<string, PodMetric>();
  (f.levels ?? []).forEach((containers, i) => {
    if (containers.length < 2) return;
    const value = containers.reduce((sum, level) => sum + level, 0);
    metrics.set(f.podNames?.[i] ?? `test-pod-${i}`, { value, timestamp: ZERO_TIME, windowSeconds: 60 });
  });
  return metrics;
}

/** The samples the fake custom metrics client returns. */
export function calcCustomMetrics(f: CalcScenario): Map<string, PodMetric> {
  return new Map(
    (f.metricLevels ?? []).map((value, i) => [`test-pod-${i}`, { value, timestamp: ZERO_TIME, windowSeconds: 60 }]),
  );
}

/** `makePodMetricLevels`: both containers of pod i report `levels[i]`. */
export function makePodMetricLevels(...levels: number[]): number[][] {
  return levels.map((level) => [level, level]);
}

/** `horizontalScenario` of horizontal_test.go. */
export interface HorizontalScenario {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly specReplicas: number;
  readonly statusReplicas: number;
  readonly scaleUpRules?: ScalingRulesInput;
  readonly scaleDownRules?: ScalingRulesInput;
  readonly CPUTarget?: number;
  readonly metricsTarget?: readonly MetricSource[];
  readonly reportedLevels?: readonly number[];
  /** Per-pod CPU requests, milli-units; when given (even empty) it also sets the number of pods. */
  readonly reportedCPURequests?: readonly number[];
  readonly reportedPodReadiness?: readonly boolean[];
  readonly reportedPodStartTime?: readonly number[];
  readonly reportedPodPhase?: readonly PodPhase[];
  readonly reportedPodDeletionTimestamp?: readonly boolean[];
  readonly recommendations?: readonly TimestampedRecommendation[];
}

/** `buildHPA` (with SetDefaults_HorizontalPodAutoscalerBehavior). */
export function buildHPA(s: HorizontalScenario): AutoscalerSpec {
  const metrics: MetricSource[] = [];
  if ((s.CPUTarget ?? 0) > 0) {
    metrics.push({
      type: 'Resource',
      name: 'cpu',
      target: { type: 'Utilization', averageUtilization: s.CPUTarget ?? 0 },
    });
  }
  metrics.push(...(s.metricsTarget ?? []));
  const hasBehavior = s.scaleUpRules !== undefined || s.scaleDownRules !== undefined;
  return {
    name: 'test-hpa',
    namespace: 'test-namespace',
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    metrics,
    behavior: hasBehavior
      ? { scaleUp: generateHPAScaleUpRules(s.scaleUpRules), scaleDown: generateHPAScaleDownRules(s.scaleDownRules) }
      : null,
  };
}

/** The pods of `newFakeHorizontalClient`: each of two containers requests half, so odd requests lose a milli-unit. */
export function horizontalPods(s: HorizontalScenario): PodInput[] {
  const count = s.reportedCPURequests === undefined ? s.statusReplicas : s.reportedCPURequests.length;
  return Array.from({ length: count }, (_, i): PodInput => {
    const startTime = s.reportedPodStartTime?.[i] ?? ZERO_TIME;
    return {
      name: `test-pod-${i}`,
      phase: s.reportedPodPhase?.[i] ?? 'Running',
      ready: s.reportedPodReadiness?.[i] ?? true,
      startTime,
      readyTransitionTime: startTime,
      deleting: s.reportedPodDeletionTimestamp?.[i] ?? false,
      requests: { cpu: 2 * Math.trunc((s.reportedCPURequests?.[i] ?? 1000) / 2) },
    };
  });
}

/** Per-pod samples by name; `halve` mimics the two-container split of CPU usage. */
export function levelsByPod(levels: readonly number[], halve: boolean): Record<string, number> {
  return Object.fromEntries(levels.map((level, i) => [`test-pod-${i}`, halve ? 2 * Math.trunc(level / 2) : level]));
}
