// Port of pkg/controller/podautoscaler/replica_calculator.go and metrics/utilization.go (kubernetes 1.33+): one
// replica proposal per metric, in the controller's integer milli-unit arithmetic. Each function takes the samples the
// metrics client would have returned, so its first error is the client's "no metrics returned" check.
import {
  calculateRequests,
  groupPods,
  type PodGroups,
  type PodInfo,
  type PodMetricsInfo,
  type ReadinessOptions,
  ReplicaCalculationError,
} from './pods.js';

/** `math.MaxInt32`: replica counts are int32 upstream and saturate there. */
export const MAX_INT32 = 2_147_483_647;
/** `math.MaxInt64` as a float64 (2^63): the saturation value of upstream's int64 metric sums. */
export const MAX_INT64 = 2 ** 63;

/** Metric usage ratio tolerances (`Tolerances`), split per direction since KEP-4951 (1.33). */
export interface Tolerances {
  readonly scaleDown: number;
  readonly scaleUp: number;
}

/** `Tolerances.isWithin`: `1 - scaleDown <= ratio <= 1 + scaleUp`, inclusive, in float64. */
export function isWithinTolerance(tolerances: Tolerances, usageRatio: number): boolean {
  return 1 - tolerances.scaleDown <= usageRatio && usageRatio <= 1 + tolerances.scaleUp;
}

/** Pods and their samples, as listed by the pod lister and returned by a metrics API. */
export interface PodSamples {
  readonly pods: readonly PodInfo[];
  readonly metrics: PodMetricsInfo;
  readonly readiness: ReadinessOptions;
}

/** Input of {@link getResourceReplicas}. */
export interface ResourceReplicasInput extends PodSamples {
  readonly currentReplicas: number;
  /** `target.averageUtilization`, a percentage of the request. */
  readonly targetUtilization: number;
  readonly resource: string;
  readonly tolerances: Tolerances;
}

/** Result of {@link getResourceReplicas}. */
export interface ResourceReplicas {
  readonly replicaCount: number;
  /** Current utilization, percent of request, truncated. */
  readonly utilization: number;
  /** Average raw usage per pod, milli-units, truncated. */
  readonly rawUtilization: number;
}

/** Input of {@link getRawResourceReplicas} and {@link getMetricReplicas}. */
export interface PlainMetricInput extends PodSamples {
  readonly currentReplicas: number;
  /** `target.averageValue` in milli-units. */
  readonly targetUsage: number;
  readonly tolerances: Tolerances;
}

/** A proposal and the usage it reports in the HPA status (`currentMetrics`). */
export interface MetricReplicas {
  readonly replicaCount: number;
  readonly usage: number;
}

/** `GetMetricUsageRatio`: the truncated average of the samples over the target. */
export function getMetricUsageRatio(
  metrics: ReadonlyMap<string, number>,
  targetUsage: number,
): { usageRatio: number; currentUsage: number } {
  let total = 0;
  for (const value of metrics.values()) total += value;
  const currentUsage = Math.trunc(total / metrics.size);
  return { usageRatio: currentUsage / targetUsage, currentUsage };
}

/**
 * `GetResourceUtilizationRatio`: utilization as the truncated percentage of summed usage over summed requests, for
 * the sampled pods that have a request (samples of unknown pods are skipped).
 *
 * @throws ReplicaCalculationError when no sample matches a known pod.
 */
export function getResourceUtilizationRatio(
  metrics: ReadonlyMap<string, number>,
  requests: ReadonlyMap<string, number>,
  targetUtilization: number,
): { usageRatio: number; utilization: number; rawAverageValue: number } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [pod, value] of metrics) {
    const request = requests.get(pod);
    if (request === undefined) continue;
    metricsTotal += value;
    requestsTotal += request;
    entries += 1;
  }
  if (requestsTotal === 0) throw new ReplicaCalculationError('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return {
    usageRatio: utilization / targetUtilization,
    utilization,
    rawAverageValue: Math.trunc(metricsTotal / entries),
  };
}

/** Drops the samples of ignored and unready pods, as both calculators do before averaging. */
function usableSamples(
  samples: PodSamples,
  resource: string | null,
): { groups: PodGroups; values: Map<string, number> } {
  if (samples.pods.length === 0) {
    throw new ReplicaCalculationError('no pods returned by selector while calculating replica count');
  }
  const groups = groupPods(samples.pods, samples.metrics, resource, samples.readiness);
  const values = new Map<string, number>();
  for (const [pod, metric] of samples.metrics) {
    if (!groups.ignoredPods.has(pod) && !groups.unreadyPods.has(pod)) values.set(pod, metric.value);
  }
  if (values.size === 0) {
    throw new ReplicaCalculationError('did not receive metrics for targeted pods (pods might be unready)');
  }
  return { groups, values };
}

interface Rebalance {
  readonly currentReplicas: number;
  readonly tolerances: Tolerances;
  readonly usageRatio: number;
  readonly groups: PodGroups;
  readonly values: ReadonlyMap<string, number>;
  /** The value a missing pod is assumed to have when the first pass points down. */
  readonly missingOnScaleDown: (pod: string) => number;
  readonly ratioOf: (values: ReadonlyMap<string, number>) => number;
}

/**
 * The shared second half of `GetResourceReplicas` and `calcPlainMetricReplicas`: with no unready or missing pods the
 * ratio scales the ready pods; otherwise missing pods count as the target on a scale-down and as 0 on a scale-up,
 * unready pods as 0 on a scale-up, and any result that would flip the direction keeps the current count.
 */
function replicasAfterRebalance(r: Rebalance): number {
  const scaleUpWithUnready = r.groups.unreadyPods.size > 0 && r.usageRatio > 1;
  if (!scaleUpWithUnready && r.groups.missingPods.size === 0) {
    if (isWithinTolerance(r.tolerances, r.usageRatio)) return r.currentReplicas;
    return Math.ceil(r.usageRatio * r.groups.readyPodCount);
  }
  const values = new Map(r.values);
  for (const pod of r.groups.missingPods) {
    // A ratio of exactly 1 leaves missing pods out of the second pass.
    if (r.usageRatio < 1) values.set(pod, r.missingOnScaleDown(pod));
    else if (r.usageRatio > 1) values.set(pod, 0);
  }
  if (scaleUpWithUnready) {
    for (const pod of r.groups.unreadyPods) values.set(pod, 0);
  }
  const newUsageRatio = r.ratioOf(values);
  if (
    isWithinTolerance(r.tolerances, newUsageRatio) ||
    (r.usageRatio < 1 && newUsageRatio > 1) ||
    (r.usageRatio > 1 && newUsageRatio < 1)
  ) {
    return r.currentReplicas;
  }
  const newReplicas = Math.ceil(newUsageRatio * values.size);
  if (
    (newUsageRatio < 1 && newReplicas > r.currentReplicas) ||
    (newUsageRatio > 1 && newReplicas < r.currentReplicas)
  ) {
    return r.currentReplicas;
  }
  return newReplicas;
}

/**
 * Proposal for a Resource (or ContainerResource) metric with a `Utilization` target. Port of
 * `ReplicaCalculator.GetResourceReplicas`, including the CPU readiness rules of `groupPods`.
 *
 * @throws ReplicaCalculationError as upstream: no samples, no pods, only unready pods, a missing request.
 */
export function getResourceReplicas(input: ResourceReplicasInput): ResourceReplicas {
  if (input.metrics.size === 0) {
    throw new ReplicaCalculationError(
      `unable to get metrics for resource ${input.resource}: no metrics returned from resource metrics API`,
    );
  }
  const { groups, values } = usableSamples(input, input.resource);
  const requests = calculateRequests(input.pods, input.resource);
  const first = getResourceUtilizationRatio(values, requests, input.targetUtilization);
  const replicaCount = replicasAfterRebalance({
    currentReplicas: input.currentReplicas,
    tolerances: input.tolerances,
    usageRatio: first.usageRatio,
    groups,
    values,
    // A missing pod uses all of its request, or the target when the target is above 100%.
    missingOnScaleDown: (pod) => Math.trunc(((requests.get(pod) ?? 0) * Math.max(100, input.targetUtilization)) / 100),
    ratioOf: (augmented) => getResourceUtilizationRatio(augmented, requests, input.targetUtilization).usageRatio,
  });
  return { replicaCount, utilization: first.utilization, rawUtilization: first.rawAverageValue };
}

/**
 * Proposal for a plain average: Pods metrics and Resource `AverageValue` targets. Port of
 * `ReplicaCalculator.calcPlainMetricReplicas`; `resource` is `null` for custom metrics. Readiness is checked for
 * `cpu` only, so for a QPS metric a running pod without a sample is *missing*, never unready.
 */
export function calcPlainMetricReplicas(input: PlainMetricInput, resource: string | null): MetricReplicas {
  const { groups, values } = usableSamples(input, resource);
  const first = getMetricUsageRatio(values, input.targetUsage);
  const replicaCount = replicasAfterRebalance({
    currentReplicas: input.currentReplicas,
    tolerances: input.tolerances,
    usageRatio: first.usageRatio,
    groups,
    values,
    missingOnScaleDown: () => input.targetUsage,
    ratioOf: (augmented) => getMetricUsageRatio(augmented, input.targetUsage).usageRatio,
  });
  // The reported usage is always the first-pass average, before missing pods were filled in.
  return { replicaCount, usage: first.currentUsage };
}

/** Proposal for a Resource metric with an `AverageValue` target. Port of `GetRawResourceReplicas`. */
export function getRawResourceReplicas(input: PlainMetricInput & { readonly resource: string }): MetricReplicas {
  if (input.metrics.size === 0) {
    throw new ReplicaCalculationError(
      `unable to get metrics for resource ${input.resource}: no metrics returned from resource metrics API`,
    );
  }
  return calcPlainMetricReplicas(input, input.resource);
}

/** Proposal for a Pods metric (`target.averageValue`). Port of `GetMetricReplicas`. */
export function getMetricReplicas(input: PlainMetricInput & { readonly metricName: string }): MetricReplicas {
  if (input.metrics.size === 0) {
    throw new ReplicaCalculationError(
      `unable to get metric ${input.metricName}: no metrics returned from custom metrics API`,
    );
  }
  return calcPlainMetricReplicas(input, null);
}

/**
 * `getUsageRatioReplicaCount`: scales the Running and Ready pods by the ratio (readiness matters here, unlike for
 * Pods metrics); from zero replicas it skips the tolerance and returns `ceil(ratio)`.
 */
function getUsageRatioReplicaCount(
  currentReplicas: number,
  usageRatio: number,
  tolerances: Tolerances,
  pods: readonly PodInfo[],
): number {
  if (currentReplicas === 0) return Math.ceil(usageRatio);
  if (isWithinTolerance(tolerances, usageRatio)) return currentReplicas;
  if (pods.length === 0) {
    throw new ReplicaCalculationError(
      'unable to calculate ready pods: no pods returned by selector while calculating replica count',
    );
  }
  const readyPodCount = pods.filter((pod) => pod.phase === 'Running' && pod.ready === true).length;
  const replicas = usageRatio * readyPodCount;
  return replicas > MAX_INT32 ? MAX_INT32 : Math.ceil(replicas);
}

/** Input of {@link getObjectMetricReplicas}. */
export interface ObjectMetricInput {
  readonly currentReplicas: number;
  /** The object's metric value, milli-units. */
  readonly usage: number;
  /** `target.value`, milli-units. */
  readonly targetUsage: number;
  readonly tolerances: Tolerances;
  readonly pods: readonly PodInfo[];
}

/** Proposal for an Object metric with a `Value` target. Port of `GetObjectMetricReplicas`. */
export function getObjectMetricReplicas(input: ObjectMetricInput): MetricReplicas {
  const usageRatio = input.usage / input.targetUsage;
  return {
    replicaCount: getUsageRatioReplicaCount(input.currentReplicas, usageRatio, input.tolerances, input.pods),
    usage: input.usage,
  };
}

/** Upstream's int64 sums of external metric series, saturating at `MaxInt64`. */
function saturatingSum(values: readonly number[]): number {
  let usage = 0;
  for (const value of values) {
    usage += value;
    if (usage >= MAX_INT64) return MAX_INT64;
  }
  return usage;
}

function requireSeries(metricName: string, values: readonly number[]): void {
  if (values.length === 0) {
    throw new ReplicaCalculationError(
      `unable to get external metric ${metricName}: no metrics returned from external metrics API`,
    );
  }
}

/** Input of {@link getExternalMetricReplicas}. */
export interface ExternalMetricInput {
  readonly currentReplicas: number;
  readonly metricName: string;
  /** Every series matching the metric selector, milli-units. */
  readonly values: readonly number[];
  /** `target.value`, milli-units. */
  readonly targetUsage: number;
  readonly tolerances: Tolerances;
  readonly pods: readonly PodInfo[];
}

/** Proposal for an External metric with a `Value` target: the sum of all series. Port of `GetExternalMetricReplicas`. */
export function getExternalMetricReplicas(input: ExternalMetricInput): MetricReplicas {
  requireSeries(input.metricName, input.values);
  const usage = saturatingSum(input.values);
  return getObjectMetricReplicas({ ...input, usage });
}

/** `getPerPodUsage`: `ceil(usage / statusReplicas)`, 0 for no replicas, `MaxInt64` once saturated. */
export function getPerPodUsage(usage: number, statusReplicas: number): number {
  if (usage >= MAX_INT64) return MAX_INT64;
  if (statusReplicas === 0) return 0;
  return Math.ceil(usage / statusReplicas);
}

/** Input of {@link getObjectPerPodMetricReplicas}. */
export interface PerPodMetricInput {
  /** `scale.status.replicas`, not `spec.replicas`: the two differ during a rollout. */
  readonly statusReplicas: number;
  /** The total, milli-units. */
  readonly usage: number;
  /** `target.averageValue`, milli-units. */
  readonly targetAverageUsage: number;
  readonly tolerances: Tolerances;
}

/**
 * Proposal for an Object metric with an `AverageValue` target. Port of `GetObjectPerPodMetricReplicas`: the ratio
 * is over `statusReplicas` (0 replicas give an infinite or NaN ratio, never within tolerance).
 */
export function getObjectPerPodMetricReplicas(input: PerPodMetricInput): MetricReplicas {
  let replicaCount = input.statusReplicas;
  const usageRatio = input.usage / (input.targetAverageUsage * input.statusReplicas);
  if (!isWithinTolerance(input.tolerances, usageRatio)) {
    replicaCount = Math.min(MAX_INT32, Math.ceil(input.usage / input.targetAverageUsage));
  }
  return { replicaCount, usage: getPerPodUsage(input.usage, input.statusReplicas) };
}

/** Proposal for an External metric with an `AverageValue` target. Port of `GetExternalPerPodMetricReplicas`. */
export function getExternalPerPodMetricReplicas(
  input: Omit<PerPodMetricInput, 'usage'> & { readonly metricName: string; readonly values: readonly number[] },
): MetricReplicas {
  requireSeries(input.metricName, input.values);
  return getObjectPerPodMetricReplicas({ ...input, usage: saturatingSum(input.values) });
}
