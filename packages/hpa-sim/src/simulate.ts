// The simulator: a traffic trace through the metrics pipeline (pods serving requests, Prometheus scrapes, rate() in
// the adapter, metrics-server windows) into the ported controller every sync period, with pods that take time to
// start and warm up before they serve and show up in rate(). One-second resolution, fully deterministic.
import { HorizontalController } from './controller.js';
import type { MetricsSnapshot, PodInput } from './observation.js';
import type { ControllerOptionsInput, ReconcileResult } from './reconcile.js';
import type { AutoscalerSpec } from './spec.js';
import { type TracePoint, trafficAt, validateTrace } from './traces.js';

/** How one resource of a pod is used: a request, an idle level and a cost per query per second (milli-units). */
export interface ResourceModel {
  readonly requestMilli: number;
  readonly idleMilli: number;
  readonly perQpsMilli: number;
}

/** The pipeline and workload model. Defaults follow the warmscale chart. */
export interface SimulationOptions {
  /** Prometheus scrape interval (`serviceMonitor.interval`). @defaultValue 15 */
  readonly scrapeIntervalSeconds: number;
  /** Window of `rate()` in the adapter rule (`adapterRule.rateWindow`). @defaultValue 60 */
  readonly rateWindowSeconds: number;
  /** `--horizontal-pod-autoscaler-sync-period`. @defaultValue 15 */
  readonly syncPeriodSeconds: number;
  /** From pod creation to a running container (scheduling, image, process boot). @defaultValue 10 */
  readonly podStartupSeconds: number;
  /** From a running container to Ready (warm-up); only then does the pod get traffic and scrapes. @defaultValue 30 */
  readonly warmupSeconds: number;
  /** QPS one pod serves at acceptable latency. @defaultValue twice the first Pods metric's target */
  readonly capacityQps: number | null;
  /** Replicas at time 0, all warm. @defaultValue what the first Pods target needs for the initial traffic */
  readonly initialReplicas: number | null;
  /** Simulated time. @defaultValue the trace's last time */
  readonly durationSeconds: number | null;
  /** metrics-server's averaging window for Resource metrics. @defaultValue 15 */
  readonly resourceWindowSeconds: number;
  /** Usage models for Resource metrics, by resource name (`cpu`, `memory`). */
  readonly resources: Readonly<Record<string, ResourceModel>>;
  /** kube-controller-manager flags. */
  readonly controller: ControllerOptionsInput;
}

/** {@link SimulationOptions} with every field optional. */
export type SimulationOptionsInput = Partial<SimulationOptions>;

/** Thrown when an HPA or an option cannot be simulated; the message says which and what to change. */
export class SimulationError extends Error {
  override readonly name = 'SimulationError';
}

/** The state at one sync of the controller. */
export interface TimelineRow {
  readonly time: number;
  /** Total traffic, QPS. */
  readonly trafficQps: number;
  /** The controller's decision at this sync. */
  readonly desiredReplicas: number;
  /** Pods that exist (starting, warming up or ready) after the decision. */
  readonly currentReplicas: number;
  /** Pods in the Service endpoints, serving traffic. */
  readonly readyReplicas: number;
  /** Actual QPS per ready pod, `null` with no ready pod. */
  readonly perPodQps: number | null;
  /** The average the HPA saw for the first Pods metric (the adapter's value), `null` when it failed. */
  readonly observedQps: number | null;
  /** Target of the first Pods metric, QPS per pod. */
  readonly targetQps: number | null;
  /** Some ready pod is above capacity, or traffic has no ready pod at all. */
  readonly overloaded: boolean;
  /** Why the replica count is what it is: the `ScalingLimited` or `AbleToScale` reason, or the error. */
  readonly reason: string;
}

/** Outcome figures of a simulation, in seconds unless stated. */
export interface SimulationSummary {
  /** First time traffic differs from its initial value. */
  readonly trafficChangeAt: number | null;
  /** First sync that scaled up. */
  readonly firstScaleUpAt: number | null;
  /** `firstScaleUpAt - trafficChangeAt`. */
  readonly timeToFirstScaleUp: number | null;
  /** From when on desired = ready and neither changes again, `null` if that never holds at the end. */
  readonly settledAt: number | null;
  /** `settledAt - trafficChangeAt`. */
  readonly timeToSettle: number | null;
  /** Seconds during which ready pods were above capacity (or no pod was ready). */
  readonly overloadSeconds: number;
  /** Σ existing pods × seconds: what the capacity cost. */
  readonly replicaSeconds: number;
  /** Changes of scaling direction (up then down, or down then up): flapping. */
  readonly directionChanges: number;
  readonly peakReplicas: number;
  readonly finalReplicas: number;
}

/** Result of {@link simulate}. */
export interface SimulationResult {
  readonly spec: AutoscalerSpec;
  readonly options: SimulationOptions;
  readonly trace: readonly TracePoint[];
  readonly timeline: readonly TimelineRow[];
  readonly summary: SimulationSummary;
}

const DEFAULTS: SimulationOptions = {
  scrapeIntervalSeconds: 15,
  rateWindowSeconds: 60,
  syncPeriodSeconds: 15,
  podStartupSeconds: 10,
  warmupSeconds: 30,
  capacityQps: null,
  initialReplicas: null,
  durationSeconds: null,
  resourceWindowSeconds: 15,
  resources: {},
  controller: {},
};

interface Scrape {
  readonly time: number;
  readonly requests: number;
}

interface SimPod {
  readonly name: string;
  readonly createdAt: number;
  readonly runningAt: number;
  readonly readyAt: number;
  requests: number;
  scrapes: Scrape[];
  /** Per-second QPS served over the last resource window, newest last. */
  recentQps: number[];
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new SimulationError(`${name} must be an integer >= 1 (got ${value})`);
  return value;
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0)
    throw new SimulationError(`${name} must be an integer >= 0 (got ${value})`);
  return value;
}

function resolveOptions(input: SimulationOptionsInput): SimulationOptions {
  const options = { ...DEFAULTS, ...input };
  positiveInteger(options.scrapeIntervalSeconds, 'scrapeIntervalSeconds');
  positiveInteger(options.syncPeriodSeconds, 'syncPeriodSeconds');
  positiveInteger(options.resourceWindowSeconds, 'resourceWindowSeconds');
  nonNegativeInteger(options.podStartupSeconds, 'podStartupSeconds');
  nonNegativeInteger(options.warmupSeconds, 'warmupSeconds');
  if (options.rateWindowSeconds < 2 * options.scrapeIntervalSeconds) {
    throw new SimulationError(
      `rateWindowSeconds must be >= 2 x scrapeIntervalSeconds for rate() to see two samples (got ${options.rateWindowSeconds} < ${2 * options.scrapeIntervalSeconds})`,
    );
  }
  if (options.initialReplicas !== null) positiveInteger(options.initialReplicas, 'initialReplicas');
  if (options.capacityQps !== null && !(options.capacityQps > 0)) {
    throw new SimulationError(`capacityQps must be > 0 (got ${options.capacityQps})`);
  }
  return options;
}

/** Rejects metrics the pipeline model cannot produce. */
function checkModel(spec: AutoscalerSpec, options: SimulationOptions): void {
  spec.metrics.forEach((metric, i) => {
    const where = `spec.metrics[${i}] (${metric.type} ${metric.name})`;
    if (metric.type === 'Object' || metric.type === 'External') {
      throw new SimulationError(`${where}: the simulator models Pods and Resource metrics only`);
    }
    if (metric.type === 'Resource' && options.resources[metric.name] === undefined) {
      throw new SimulationError(
        `${where} needs a usage model: pass resources.${metric.name} (CLI: --${metric.name}-request and --${metric.name}-per-qps)`,
      );
    }
  });
}

/** `rate()` of a pod's request counter at `t`: the slope between the first and last scrape in `(t - window, t]`. */
function rateOf(scrapes: readonly Scrape[], t: number, window: number): number | null {
  const inWindow = scrapes.filter((s) => s.time > t - window && s.time <= t);
  const first = inWindow[0];
  const last = inWindow[inWindow.length - 1];
  if (first === undefined || last === undefined || last.time === first.time) return null;
  return (last.requests - first.requests) / (last.time - first.time);
}

function isAligned(t: number, interval: number): boolean {
  return ((t % interval) + interval) % interval === 0;
}

/**
 * Runs `trace` through the pipeline and the controller. Every Pods metric is taken to be the per-pod request rate;
 * Resource metrics need a {@link ResourceModel}. The scale update takes effect at once; new pods are Pending for
 * `podStartupSeconds`, then Running but not Ready for `warmupSeconds`; ready pods share the traffic evenly and are
 * scraped; a pod's rate() exists from its second scrape. Removed pods go first if not ready, else newest first.
 *
 * @throws SimulationError for Object/External metrics, a Resource metric without a model, or bad options.
 */
export function simulate(
  spec: AutoscalerSpec,
  trace: readonly TracePoint[],
  input: SimulationOptionsInput = {},
): SimulationResult {
  const options = resolveOptions(input);
  checkModel(spec, options);
  const points = validateTrace(trace);
  const qpsMetric = spec.metrics.find((m) => m.type === 'Pods');
  const targetQps = qpsMetric === undefined ? null : qpsMetric.target.averageValue / 1000;
  const capacityQps = options.capacityQps ?? (targetQps === null ? null : 2 * targetQps);
  if (capacityQps === null) {
    throw new SimulationError('capacityQps is required when the HPA has no Pods metric to derive it from');
  }
  const duration = options.durationSeconds ?? points[points.length - 1]?.time ?? 0;
  const initialTraffic = trafficAt(points, 0);
  const initialReplicas =
    options.initialReplicas ??
    Math.min(
      spec.maxReplicas,
      Math.max(spec.minReplicas, targetQps === null ? 0 : Math.ceil(initialTraffic / targetQps)),
    );
  const resolved: SimulationOptions = { ...options, capacityQps, initialReplicas, durationSeconds: duration };

  const controller = new HorizontalController(options.controller);
  let podCounter = 0;
  // Initial pods are long warm, with a full scrape history (the loop starts early to build it).
  const preroll =
    Math.ceil((options.rateWindowSeconds + 2 * options.scrapeIntervalSeconds) / options.scrapeIntervalSeconds) *
    options.scrapeIntervalSeconds;
  const start = -preroll;
  const newPod = (createdAt: number): SimPod => ({
    name: `pod-${podCounter++}`,
    createdAt,
    runningAt: createdAt + options.podStartupSeconds,
    readyAt: createdAt + options.podStartupSeconds + options.warmupSeconds,
    requests: 0,
    scrapes: [],
    recentQps: [],
  });
  let pods: SimPod[] = Array.from({ length: initialReplicas }, () => newPod(start - 3600));

  const timeline: TimelineRow[] = [];
  let trafficChangeAt: number | null = null;
  let firstScaleUpAt: number | null = null;
  let overloadSeconds = 0;
  let replicaSeconds = 0;
  let directionChanges = 0;
  let lastDirection = 0;

  for (let t = start; t < duration; t += 1) {
    const isReady = (pod: SimPod): boolean => pod.readyAt <= t;
    if (isAligned(t, options.scrapeIntervalSeconds)) {
      for (const pod of pods.filter(isReady)) {
        pod.scrapes.push({ time: t, requests: pod.requests });
        pod.scrapes = pod.scrapes.filter((s) => s.time > t - options.rateWindowSeconds - options.scrapeIntervalSeconds);
      }
    }
    if (t >= 0 && isAligned(t, options.syncPeriodSeconds)) {
      const before = pods.length;
      const result = controller.reconcile(spec, {
        now: t,
        specReplicas: pods.length,
        pods: pods.map((pod) => podView(pod, t, options)),
        metrics: snapshotOf(spec, pods, t, options),
      });
      if (result.desiredReplicas > before) {
        for (let i = before; i < result.desiredReplicas; i += 1) pods.push(newPod(t));
      } else if (result.desiredReplicas < before) {
        pods = scaleDown(pods, result.desiredReplicas, t);
      }
      const direction = Math.sign(result.desiredReplicas - before);
      if (direction !== 0) {
        if (lastDirection !== 0 && direction !== lastDirection) directionChanges += 1;
        lastDirection = direction;
        if (direction > 0) firstScaleUpAt ??= t;
      }
      const traffic = trafficAt(points, t);
      const ready = pods.filter(isReady).length;
      timeline.push({
        time: t,
        trafficQps: traffic,
        desiredReplicas: result.desiredReplicas,
        currentReplicas: pods.length,
        readyReplicas: ready,
        perPodQps: ready === 0 ? null : traffic / ready,
        observedQps: observedQps(result),
        targetQps,
        overloaded: traffic > 0 && (ready === 0 || traffic / ready > capacityQps),
        reason: reasonOf(result),
      });
    }
    // Serve [t, t + 1) at the traffic of its midpoint: exact for the linear segments of a trace.
    const qps = trafficAt(points, t + 0.5);
    const ready = pods.filter(isReady);
    for (const pod of pods) {
      const served = isReady(pod) ? qps / ready.length : 0;
      pod.requests += served;
      pod.recentQps.push(served);
      if (pod.recentQps.length > options.resourceWindowSeconds) pod.recentQps.shift();
    }
    if (t >= 0) {
      if (trafficChangeAt === null && qps !== initialTraffic) trafficChangeAt = t;
      if (qps > 0 && (ready.length === 0 || qps / ready.length > capacityQps)) overloadSeconds += 1;
      replicaSeconds += pods.length;
    }
  }

  const settledAt = settledTime(timeline);
  return {
    spec,
    options: resolved,
    trace: points,
    timeline,
    summary: {
      trafficChangeAt,
      firstScaleUpAt,
      timeToFirstScaleUp: firstScaleUpAt === null || trafficChangeAt === null ? null : firstScaleUpAt - trafficChangeAt,
      settledAt,
      timeToSettle: settledAt === null || trafficChangeAt === null ? null : Math.max(0, settledAt - trafficChangeAt),
      overloadSeconds,
      replicaSeconds,
      directionChanges,
      peakReplicas: Math.max(initialReplicas, ...timeline.map((row) => row.currentReplicas)),
      finalReplicas: pods.length,
    },
  };
}

/** What the pod lister shows: Pending until the container runs, not Ready while warming up. */
function podView(pod: SimPod, t: number, options: SimulationOptions): PodInput {
  const ready = pod.readyAt <= t;
  const requests: Record<string, number> = {};
  for (const [resource, model] of Object.entries(options.resources)) requests[resource] = model.requestMilli;
  return {
    name: pod.name,
    phase: pod.runningAt <= t ? 'Running' : 'Pending',
    ready,
    startTime: pod.createdAt,
    readyTransitionTime: ready ? pod.readyAt : pod.createdAt,
    requests,
  };
}

/** What the adapter and metrics-server return at `t`. */
function snapshotOf(
  spec: AutoscalerSpec,
  pods: readonly SimPod[],
  t: number,
  options: SimulationOptions,
): MetricsSnapshot {
  const qps: Record<string, number> = {};
  for (const pod of pods) {
    const rate = rateOf(pod.scrapes, t, options.rateWindowSeconds);
    // The adapter converts with resource.NewMilliQuantity(int64(v*1000)): truncated. Float noise from summing
    // fractional shares is rounded away first, so an even 50 q/s reads 50000, not 49999.
    if (rate !== null) qps[pod.name] = Math.trunc(Number((rate * 1000).toFixed(6)));
  }
  const podMetrics: Record<string, Record<string, number>> = {};
  const resourceMetrics: Record<string, Record<string, { value: number; windowSeconds: number }>> = {};
  for (const metric of spec.metrics) {
    if (metric.type === 'Pods') podMetrics[metric.name] = qps;
    if (metric.type !== 'Resource') continue;
    const model = options.resources[metric.name];
    if (model === undefined) continue;
    const samples: Record<string, { value: number; windowSeconds: number }> = {};
    for (const pod of pods) {
      // metrics-server reports a pod once a full window of its running container was collected.
      if (pod.runningAt > t - options.resourceWindowSeconds) continue;
      const window = pod.recentQps.slice(-options.resourceWindowSeconds);
      const averageQps = window.reduce((sum, q) => sum + q, 0) / window.length;
      samples[pod.name] = {
        value: Math.trunc(model.idleMilli + model.perQpsMilli * averageQps),
        windowSeconds: options.resourceWindowSeconds,
      };
    }
    resourceMetrics[metric.name] = samples;
  }
  return { pods: podMetrics, resource: resourceMetrics };
}

/** ReplicaSet scale-down order: pods not ready first, then the most recently created. */
function scaleDown(pods: readonly SimPod[], keep: number, t: number): SimPod[] {
  const victims = [...pods]
    .sort((a, b) => Number(a.readyAt <= t) - Number(b.readyAt <= t) || b.createdAt - a.createdAt)
    .slice(0, pods.length - keep);
  return pods.filter((pod) => !victims.includes(pod));
}

function observedQps(result: ReconcileResult): number | null {
  const qps = result.metrics.find((m) => m.source.type === 'Pods');
  const average = qps?.current?.averageValue;
  return average === undefined ? null : average / 1000;
}

function reasonOf(result: ReconcileResult): string {
  if (result.error !== null) return result.conditions.find((c) => c.type === 'ScalingActive')?.reason ?? 'error';
  const limited = result.conditions.find((c) => c.type === 'ScalingLimited');
  if (limited?.status === 'True') return limited.reason;
  const able = result.conditions.find((c) => c.type === 'AbleToScale' && c.reason !== 'SucceededRescale');
  return able?.reason ?? limited?.reason ?? 'SucceededRescale';
}

/** The earliest sync from which desired = ready and the count never changes again. */
function settledTime(timeline: readonly TimelineRow[]): number | null {
  let settled: number | null = null;
  let count: number | null = null;
  for (const row of timeline) {
    const stable = row.readyReplicas === row.desiredReplicas && row.currentReplicas === row.desiredReplicas;
    if (!stable || row.desiredReplicas !== count) settled = stable ? row.time : null;
    count = stable ? row.desiredReplicas : null;
  }
  return settled;
}
