// Everything the lab rehearses comes from the chart, rendered with `helm template`: the probes, the container
// environment, the preStop sleep and grace period of the Deployment, the ServiceMonitor's scrape interval, the
// adapter rule and the HPA. The lab only replaces what a cluster provides (processes, kube-proxy, Prometheus' service
// discovery, the controllers).
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AdapterRule, adapterMetricName, adapterRule, rateWindows, seriesName } from '../chart/adapter.js';
import {
  containerEnv,
  deployment,
  durationSeconds,
  FULLNAME,
  findObject,
  hpa,
  type K8sObject,
  NAMESPACE,
  renderChart,
} from '../chart/render.js';

/** The lab values profile: the chart's values with time constants shortened so that a run takes minutes. */
export const LAB_VALUES: string = fileURLToPath(new URL('../../lab/lab-values.yaml', import.meta.url));
/** The spike profile's values, after the lab values: admission control for its CPU-costly route. */
export const SPIKE_VALUES: string = fileURLToPath(new URL('../../lab/spike-values.yaml', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The settings whose absence each trap run shows. */
export interface Safeguards {
  /** Warm-up before readiness (`warmup.enabled`). */
  readonly warmup: boolean;
  /** preStop sleep plus the app's serve-while-unready delay (`shutdown.preStopSleepSeconds`, `shutdown.delaySeconds`). */
  readonly drain: boolean;
  /** Keep-alive connection recycling (`connectionRecycling.maxRequests`, `connectionRecycling.maxAgeSeconds`). */
  readonly recycle: boolean;
  /**
   * Admission control as the values set it (`admission.*`); off sets `admission.maxInFlight` and
   * `admission.maxEventLoopDelayMs` to 0, so nothing is shed. Timelines recorded before it existed lack it (on).
   */
  readonly admission?: boolean;
}

export const ALL_SAFEGUARDS: Safeguards = { warmup: true, drain: true, recycle: true, admission: true };

/** The safeguards in the order trap names and descriptions list them. */
export const SAFEGUARD_NAMES = ['warmup', 'drain', 'recycle', 'admission'] as const;

/** Whether `safeguards` has `name` on (a timeline without the field had it on). */
export function isOn(safeguards: Safeguards, name: (typeof SAFEGUARD_NAMES)[number]): boolean {
  return safeguards[name] !== false;
}

/** A probe as the kubelet runs it (HTTP GET on the app's port). */
export interface ProbeSettings {
  readonly path: string;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

/** What the lab reads from the rendered chart. */
export interface LabSettings {
  readonly namespace: string;
  /** Deployment (and Service, HPA) name. */
  readonly name: string;
  /** The rendered HorizontalPodAutoscaler, as hpa-sim reads it. */
  readonly hpa: K8sObject;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** The custom metric the HPA scales on (`httpserver_requests_qps`). */
  readonly metricName: string;
  /** Per-pod target of that metric, in q/s. */
  readonly targetQps: number;
  /** The counter the adapter rule turns into the metric. */
  readonly counterName: string;
  /** The rendered adapter rule. */
  readonly rule: AdapterRule;
  readonly rateWindowSeconds: number;
  /** The ServiceMonitor's scrape interval. */
  readonly scrapeIntervalSeconds: number;
  /** The container's literal environment (PORT and HOST are the lab's to choose). */
  readonly env: Readonly<Record<string, string>>;
  readonly startupProbe: ProbeSettings;
  readonly readinessProbe: ProbeSettings;
  readonly livenessProbe: ProbeSettings;
  /** `lifecycle.preStop.sleep.seconds`, 0 without a preStop hook. */
  readonly preStopSleepSeconds: number;
  readonly terminationGracePeriodSeconds: number;
  /** The `helm template` arguments after the chart, for the report (files relative to the repository root). */
  readonly helmArgs: readonly string[];
}

/** `--set` arguments that turn off what `safeguards` leaves out. */
export function safeguardOverrides(safeguards: Safeguards): string[] {
  const sets: string[] = [];
  if (!safeguards.warmup) sets.push('warmup.enabled=false');
  if (!safeguards.drain) sets.push('shutdown.preStopSleepSeconds=0', 'shutdown.delaySeconds=0');
  if (!safeguards.recycle) sets.push('connectionRecycling.maxRequests=0', 'connectionRecycling.maxAgeSeconds=0');
  if (!isOn(safeguards, 'admission')) sets.push('admission.maxInFlight=0', 'admission.maxEventLoopDelayMs=0');
  return sets.flatMap((set) => ['--set', set]);
}

function probe(container: Record<string, unknown>, field: string): ProbeSettings {
  const spec = container[field] as
    | {
        httpGet?: { path?: string };
        periodSeconds?: number;
        timeoutSeconds?: number;
        failureThreshold?: number;
        initialDelaySeconds?: number;
      }
    | undefined;
  if (spec?.httpGet?.path === undefined) throw new Error(`the Deployment's container has no HTTP ${field}`);
  if ((spec.initialDelaySeconds ?? 0) !== 0)
    throw new Error(`${field}.initialDelaySeconds is not supported by the lab`);
  // Kubernetes' defaults for fields the chart leaves out.
  return {
    path: spec.httpGet.path,
    periodSeconds: spec.periodSeconds ?? 10,
    timeoutSeconds: spec.timeoutSeconds ?? 1,
    failureThreshold: spec.failureThreshold ?? 3,
  };
}

/** Reads {@link LabSettings} from rendered objects; `helmArgs` only documents how they were rendered. */
export function readSettings(objects: readonly K8sObject[], helmArgs: readonly string[]): LabSettings {
  const autoscaler = hpa(objects);
  const pods = (autoscaler.spec.metrics as Array<Record<string, unknown>>).find((metric) => metric.type === 'Pods');
  const podsMetric = pods?.pods as { metric: { name: string }; target: { averageValue: string | number } } | undefined;
  if (podsMetric === undefined) throw new Error('the HPA has no Pods metric');
  const rule = adapterRule(objects);
  const counterName = seriesName(rule);
  const metricName = adapterMetricName(rule, counterName);
  if (metricName !== podsMetric.metric.name) {
    throw new Error(`the HPA scales on ${podsMetric.metric.name} but the adapter rule serves ${metricName}`);
  }
  const [window] = rateWindows(rule.metricsQuery);
  if (window === undefined) throw new Error(`the adapter rule's metricsQuery has no rate(): ${rule.metricsQuery}`);
  const monitor = findObject(objects, 'ServiceMonitor', FULLNAME);
  const interval = (monitor.spec.endpoints as Array<{ interval?: string }>)[0]?.interval;
  if (interval === undefined) throw new Error('the ServiceMonitor endpoint has no interval');

  const pod = deployment(objects).spec.template.spec as Record<string, unknown>;
  const container = (pod.containers as Array<Record<string, unknown>>)[0];
  if (container === undefined) throw new Error('the Deployment has no container');
  const lifecycle = container.lifecycle as { preStop?: { sleep?: { seconds?: number } } } | undefined;
  return {
    namespace: NAMESPACE,
    name: FULLNAME,
    hpa: autoscaler,
    minReplicas: autoscaler.spec.minReplicas ?? 1,
    maxReplicas: autoscaler.spec.maxReplicas,
    metricName,
    targetQps: Number(podsMetric.target.averageValue),
    counterName,
    rule,
    rateWindowSeconds: durationSeconds(window),
    scrapeIntervalSeconds: durationSeconds(interval),
    env: containerEnv(objects),
    startupProbe: probe(container, 'startupProbe'),
    readinessProbe: probe(container, 'readinessProbe'),
    livenessProbe: probe(container, 'livenessProbe'),
    preStopSleepSeconds: lifecycle?.preStop?.sleep?.seconds ?? 0,
    terminationGracePeriodSeconds: (pod.terminationGracePeriodSeconds as number | undefined) ?? 30,
    helmArgs,
  };
}

/**
 * Renders the chart with the lab values profile, then `valuesFiles` (`-f`, later wins), then the overrides that turn
 * off what `safeguards` leaves out, and reads the settings the lab needs.
 */
export async function loadSettings(
  safeguards: Safeguards = ALL_SAFEGUARDS,
  valuesFiles: readonly string[] = [],
): Promise<LabSettings> {
  const args = ['-f', LAB_VALUES, ...valuesFiles.flatMap((file) => ['-f', file]), ...safeguardOverrides(safeguards)];
  const shown = args.map((arg) => (isAbsolute(arg) ? relative(ROOT, arg) : arg));
  return readSettings(await renderChart({}, args), shown);
}
