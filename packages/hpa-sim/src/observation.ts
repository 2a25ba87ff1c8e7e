// What the controller reads at one sync: the scale subresource, the pod lister and the metrics APIs, as plain data.
// Callers write samples as adapter values (milli-unit numbers or quantity strings); this module resolves defaults.
import type { PodInfo, PodMetric, PodPhase } from './pods.js';
import { parseQuantity } from './quantity.js';

/** A per-pod sample: milli-units (`30000` is 30 q/s), a quantity string as the adapter serves it (`"12500m"`), or
 * `null` for a pod that has no sample (a *missing* pod). The object form adds the sample time and window. */
export type SampleInput =
  | number
  | string
  | null
  | { readonly value: number | string; readonly timestamp?: number; readonly windowSeconds?: number };

/** Samples by pod name. */
export type PodSampleInput = Readonly<Record<string, SampleInput>>;

/** What the metrics APIs return at this sync. A metric absent here is a failed fetch for the controller. */
export interface MetricsSnapshot {
  /** custom.metrics.k8s.io per-pod values by metric name (`type: Pods`). */
  readonly pods?: Readonly<Record<string, PodSampleInput>>;
  /** metrics.k8s.io per-pod usage by resource name (`type: Resource`), e.g. `cpu` in millicores. */
  readonly resource?: Readonly<Record<string, PodSampleInput>>;
  /** custom.metrics.k8s.io value of the described object, by metric name (`type: Object`). */
  readonly object?: Readonly<Record<string, number | string>>;
  /** external.metrics.k8s.io series values by metric name (`type: External`). */
  readonly external?: Readonly<Record<string, readonly (number | string)[]>>;
}

/** A pod as the caller knows it; every field but the name has a default. */
export interface PodInput {
  readonly name: string;
  /** @defaultValue `'Running'` */
  readonly phase?: PodPhase;
  /** `Ready` condition; `null` for none. @defaultValue `true` */
  readonly ready?: boolean | null;
  /** `status.startTime` in seconds; `null` for unset. @defaultValue long before `now` */
  readonly startTime?: number | null;
  /** @defaultValue `startTime` */
  readonly readyTransitionTime?: number;
  /** @defaultValue `false` */
  readonly deleting?: boolean;
  /** Pod requests by resource: milli-unit numbers or quantity strings (`"500m"`, `"256Mi"`). */
  readonly requests?: Readonly<Record<string, number | string>>;
}

/** The controller's view of one HPA's target at one sync. Times are seconds on any clock, e.g. `Date.now() / 1000`. */
export interface Observation {
  readonly now: number;
  /** `scale.spec.replicas`: the count every metric type but Object/External `AverageValue` scales from. */
  readonly specReplicas: number;
  /** `scale.status.replicas`. @defaultValue `specReplicas` */
  readonly statusReplicas?: number;
  /**
   * The pods the scale selector matches. @defaultValue every pod named in a `pods` or `resource` sample set,
   * Running and Ready; name a pod with a `null` sample to make it missing.
   */
  readonly pods?: readonly (string | PodInput)[];
  readonly metrics: MetricsSnapshot;
}

/** {@link Observation} with defaults applied, as the calculators take it. */
export interface ResolvedObservation {
  readonly now: number;
  readonly specReplicas: number;
  readonly statusReplicas: number;
  readonly pods: readonly PodInfo[];
  readonly metrics: MetricsSnapshot;
}

// The default start time: far enough back that no initialisation period or readiness delay applies.
const LONG_AGO_SECONDS = 1e9;
// The window the controller assumes when the custom metrics API does not set one (metricServerDefaultMetricWindow).
const DEFAULT_WINDOW_SECONDS = 60;

/** The milli-value of a sample: numbers are milli-units already, strings are quantities. */
export function milliValue(value: number | string): number {
  return typeof value === 'number' ? value : parseQuantity(value).milliValue;
}

function resolvePod(input: string | PodInput, now: number): PodInfo {
  const pod: PodInput = typeof input === 'string' ? { name: input } : input;
  const startTime = pod.startTime === undefined ? now - LONG_AGO_SECONDS : pod.startTime;
  const requests: Record<string, number> = {};
  for (const [resource, value] of Object.entries(pod.requests ?? {})) requests[resource] = milliValue(value);
  return {
    name: pod.name,
    phase: pod.phase ?? 'Running',
    ready: pod.ready === undefined ? true : pod.ready,
    startTime,
    readyTransitionTime: pod.readyTransitionTime ?? startTime ?? now - LONG_AGO_SECONDS,
    deleting: pod.deleting ?? false,
    requests,
  };
}

function podsNamedIn(metrics: MetricsSnapshot): string[] {
  const names = new Set<string>();
  for (const group of [metrics.pods, metrics.resource]) {
    for (const samples of Object.values(group ?? {})) {
      for (const name of Object.keys(samples)) names.add(name);
    }
  }
  return [...names];
}

/** Applies the defaults of {@link Observation} and {@link PodInput}. */
export function resolveObservation(observation: Observation): ResolvedObservation {
  const pods = observation.pods ?? podsNamedIn(observation.metrics);
  return {
    now: observation.now,
    specReplicas: observation.specReplicas,
    statusReplicas: observation.statusReplicas ?? observation.specReplicas,
    pods: pods.map((pod) => resolvePod(pod, observation.now)),
    metrics: observation.metrics,
  };
}

/** Turns one sample set into the metrics client's `PodMetricsInfo`; `null` samples are left out (missing pods). */
export function podMetricsOf(samples: PodSampleInput, now: number): Map<string, PodMetric> {
  const metrics = new Map<string, PodMetric>();
  for (const [pod, sample] of Object.entries(samples)) {
    if (sample === null) continue;
    if (typeof sample === 'object') {
      metrics.set(pod, {
        value: milliValue(sample.value),
        timestamp: sample.timestamp ?? now,
        windowSeconds: sample.windowSeconds ?? DEFAULT_WINDOW_SECONDS,
      });
    } else {
      metrics.set(pod, { value: milliValue(sample), timestamp: now, windowSeconds: DEFAULT_WINDOW_SECONDS });
    }
  }
  return metrics;
}
