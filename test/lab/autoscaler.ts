// The HPA: every sync period, the query prometheus-adapter would run for the chart's rule (all pods of the workload,
// ready or not, as the adapter lists them), its values as the custom metrics API serves them, and one reconcile of
// @warmscale/hpa-sim with the chart's HorizontalPodAutoscaler. A rescale is applied to the workload at once.
import { HorizontalController, type HpaInput, type PodInput, type ReconcileResult } from '@warmscale/hpa-sim';
import { renderMetricsQuery } from '../chart/adapter.js';
import type { RunningPrometheus } from '../support/prometheus.js';
import type { LabSettings } from './settings.js';
import type { Workload } from './workload.js';

/** One sync of the HPA. */
export interface HpaTick {
  /** Lab time, seconds. */
  readonly t: number;
  /** The adapter's PromQL. */
  readonly query: string;
  /** The metric per pod in q/s as the adapter serves it (milli-units truncated); pods without a sample are absent. */
  readonly samples: Readonly<Record<string, number>>;
  /** The average the HPA compares with the target (over the pods with a sample), or null without samples. */
  readonly averageQps: number | null;
  readonly currentReplicas: number;
  readonly desiredReplicas: number;
  /** What the metric alone asks for, before stabilization and rate limits. */
  readonly metricDesiredReplicas: number | null;
  readonly readyReplicas: number;
  /** `AbleToScale` and `ScalingLimited` reasons, e.g. `ScaleDownStabilized`, `ScaleUpLimit`. */
  readonly reasons: readonly string[];
  readonly error: string | null;
}

export interface AutoscalerOptions {
  readonly settings: LabSettings;
  readonly workload: Workload;
  readonly prometheus: Pick<RunningPrometheus, 'query'>;
  /** Lab time in seconds. */
  readonly now: () => number;
  /** kube-controller-manager's `--horizontal-pod-autoscaler-sync-period`. @defaultValue 15 */
  readonly syncPeriodSeconds?: number;
  readonly onTick: (tick: HpaTick) => void;
}

/** `resource.NewMilliQuantity(int64(v*1000))`: truncated toward zero, NaN as 0 (prometheus-adapter v0.12). */
export function adapterMilliValue(value: number): number {
  return Number.isNaN(value) ? 0 : Math.trunc(value * 1000);
}

/** Runs the HPA loop until {@link Autoscaler.stop}. */
export class Autoscaler {
  readonly #options: AutoscalerOptions;
  readonly #controller = new HorizontalController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: AutoscalerOptions) {
    this.#options = options;
  }

  /** Syncs now, then again one sync period after each sync ends (the controller's rate-limited requeue). */
  start(): void {
    const loop = async (): Promise<void> => {
      if (this.#stopped) return;
      await this.sync();
      if (this.#stopped) return;
      this.#timer = setTimeout(
        () => {
          this.#running = loop();
        },
        (this.#options.syncPeriodSeconds ?? 15) * 1000,
      );
    };
    this.#running = loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** One sync. */
  async sync(): Promise<HpaTick> {
    const { settings, workload, prometheus, now } = this.#options;
    const pods = workload.pods();
    const t = now();
    const query =
      pods.length === 0
        ? ''
        : renderMetricsQuery(
            settings.rule,
            settings.namespace,
            pods.map((p) => p.name),
          );
    const samples: Record<string, number> = {};
    let fetchError: string | null = null;
    if (query !== '') {
      try {
        for (const sample of await prometheus.query(query)) {
          const pod = sample.metric.pod;
          if (pod !== undefined) samples[pod] = adapterMilliValue(sample.value);
        }
      } catch (error) {
        fetchError = (error as Error).message;
      }
    }
    const podInputs: PodInput[] = pods.map((pod) => ({
      name: pod.name,
      phase: 'Running',
      ready: pod.ready,
      startTime: pod.createdAt,
      readyTransitionTime: pod.readyAt ?? pod.createdAt,
      deleting: pod.deleting,
    }));
    // No sample at all is what the adapter answers with an error; the HPA then sees a failed metric.
    const haveSamples = Object.keys(samples).length > 0;
    const currentReplicas = workload.replicas;
    const result: ReconcileResult = this.#controller.reconcile(settings.hpa as unknown as HpaInput, {
      now: t,
      specReplicas: currentReplicas,
      pods: podInputs,
      metrics: haveSamples ? { pods: { [settings.metricName]: samples } } : {},
    });
    if (result.rescale) workload.scale(result.desiredReplicas, result.rescaleReason ?? '');
    const values = Object.values(samples);
    const tick: HpaTick = {
      t,
      query,
      samples: Object.fromEntries(Object.entries(samples).map(([pod, milli]) => [pod, milli / 1000])),
      averageQps: values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length / 1000,
      currentReplicas,
      desiredReplicas: result.desiredReplicas,
      metricDesiredReplicas: result.metricDesiredReplicas,
      readyReplicas: workload.readyCount(),
      reasons: result.conditions
        .filter((condition) => condition.type !== 'ScalingActive' || condition.status === 'False')
        .map((condition) => condition.reason),
      error: fetchError ?? result.error,
    };
    this.#options.onTick(tick);
    return tick;
  }
}
