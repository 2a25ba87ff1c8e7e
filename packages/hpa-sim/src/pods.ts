// The pod-side inputs of replica_calculator.go: which pods count, and what they request.

/** An error the controller reports as a failed metric (a `FailedGet*Metric` condition), not a crash. */
export class ReplicaCalculationError extends Error {
  override readonly name = 'ReplicaCalculationError';
}

/** `v1.PodPhase`. */
export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/** The fields of a pod the HPA controller reads from its pod lister. Times are in seconds on the caller's clock. */
export interface PodInfo {
  readonly name: string;
  readonly phase: PodPhase;
  /** Status of the `Ready` condition; `null` when the pod has no such condition yet. */
  readonly ready: boolean | null;
  /** `status.startTime`; `null` when the kubelet has not acknowledged the pod yet. */
  readonly startTime: number | null;
  /** `lastTransitionTime` of the `Ready` condition. */
  readonly readyTransitionTime: number;
  /** `metadata.deletionTimestamp` is set. */
  readonly deleting: boolean;
  /** Requests of the whole pod (containers plus restartable init containers) in milli-units, by resource name. */
  readonly requests: Readonly<Record<string, number>>;
}

/** One sample of a per-pod metric (`metricsclient.PodMetric`). */
export interface PodMetric {
  /** Milli-units (`Quantity.MilliValue()`). */
  readonly value: number;
  readonly timestamp: number;
  /** The window the sample covers; the custom metrics API leaves it unset and the controller assumes 60 s. */
  readonly windowSeconds: number;
}

/** Samples by pod name (`metricsclient.PodMetricsInfo`). Names of unknown pods are allowed, as upstream. */
export type PodMetricsInfo = ReadonlyMap<string, PodMetric>;

/** Controller flags that decide whether a CPU sample of a starting pod is trusted. */
export interface ReadinessOptions {
  /** Evaluation time, in seconds. */
  readonly now: number;
  /** `--horizontal-pod-autoscaler-cpu-initialization-period` (300 s). */
  readonly cpuInitializationPeriodSeconds: number;
  /** `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s). */
  readonly delayOfInitialReadinessStatusSeconds: number;
}

/** The result of {@link groupPods}. */
export interface PodGroups {
  readonly readyPodCount: number;
  readonly unreadyPods: ReadonlySet<string>;
  readonly missingPods: ReadonlySet<string>;
  readonly ignoredPods: ReadonlySet<string>;
}

function isUnreadyCpuSample(pod: PodInfo, metric: PodMetric, options: ReadinessOptions): boolean {
  if (pod.ready === null || pod.startTime === null) return true;
  if (pod.startTime + options.cpuInitializationPeriodSeconds > options.now) {
    // Still initialising: trust the sample only if the pod is ready and a full window was collected since then.
    return pod.ready === false || metric.timestamp < pod.readyTransitionTime + metric.windowSeconds;
  }
  // Past initialisation: ignore only a pod that never became ready.
  return pod.ready === false && pod.startTime + options.delayOfInitialReadinessStatusSeconds > pod.readyTransitionTime;
}

/**
 * Sorts pods into ready, unready, missing (no sample) and ignored (deleting or terminated). Port of `groupPods`:
 * readiness is only checked for the `cpu` resource; for every other metric a running pod with a sample counts as
 * ready, whatever its `Ready` condition says.
 */
export function groupPods(
  pods: readonly PodInfo[],
  metrics: PodMetricsInfo,
  resource: string | null,
  options: ReadinessOptions,
): PodGroups {
  let readyPodCount = 0;
  const unreadyPods = new Set<string>();
  const missingPods = new Set<string>();
  const ignoredPods = new Set<string>();
  for (const pod of pods) {
    if (pod.deleting || pod.phase === 'Failed' || pod.phase === 'Succeeded') {
      ignoredPods.add(pod.name);
      continue;
    }
    if (pod.phase === 'Pending') {
      unreadyPods.add(pod.name);
      continue;
    }
    const metric = metrics.get(pod.name);
    if (metric === undefined) {
      missingPods.add(pod.name);
      continue;
    }
    if (resource === 'cpu' && isUnreadyCpuSample(pod, metric, options)) {
      unreadyPods.add(pod.name);
      continue;
    }
    readyPodCount += 1;
  }
  return { readyPodCount, unreadyPods, missingPods, ignoredPods };
}

/**
 * The request of every listed pod for `resource`, in milli-units. Port of `calculateRequests` at pod level: the
 * caller gives each pod's total, so container selection and pod-level requests are resolved before this point.
 *
 * @throws ReplicaCalculationError when a pod has no request for the resource.
 */
export function calculateRequests(pods: readonly PodInfo[], resource: string): Map<string, number> {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    const request = pod.requests[resource];
    if (request === undefined) {
      throw new ReplicaCalculationError(`missing request for ${resource} in Pod ${pod.name}`);
    }
    requests.set(pod.name, request);
  }
  return requests;
}
