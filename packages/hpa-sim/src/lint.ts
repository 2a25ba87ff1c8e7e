// Cross-layer checks of the timings and names that connect an app, its scrape, the prometheus-adapter rule, the HPA
// (or KEDA) and the pod lifecycle. Each layer is valid on its own; these rules catch the combinations that are not
// (prometheus-adapter#535, #64; kedacore/keda#3065; the chart README's derivations).
import { parseAllDocuments } from 'yaml';
import { APP_ENV_PREFIX, APP_SETTINGS, type AppSetting } from './app-settings.js';

/** The rules, each named in every finding it produces. */
export const LINT_RULES = [
  'rate-window',
  'relist-interval',
  'grace-period',
  'startup-budget',
  'scale-up-policy',
  'metric-name',
  'double-scrape',
  'utilization-request',
  'keda-null-values',
  'keda-fallback',
] as const;

export type LintRule = (typeof LINT_RULES)[number];

/** One finding: which object and field, what the numbers are, and what to change. */
export interface LintFinding {
  readonly severity: 'error' | 'warning';
  readonly rule: LintRule;
  /** `Kind namespace/name`, e.g. `HorizontalPodAutoscaler shop/demo-warmscale`. */
  readonly object: string;
  /** The field, e.g. `spec.template.spec.terminationGracePeriodSeconds`. */
  readonly field: string;
  /** What is wrong, with the numbers. */
  readonly message: string;
  /** What to change. */
  readonly fix: string;
}

/** Thrown for input the linter cannot read: a YAML syntax error, or an adapter config of no known shape. */
export class LintInputError extends Error {
  override readonly name = 'LintInputError';
}

/** What {@link lintManifests} reads. */
export interface LintInput {
  /** YAML streams of Kubernetes objects: `helm template` output or hand-written manifests. */
  readonly manifests: readonly string[];
  /**
   * The prometheus-adapter configuration, as its `config.yaml` (`rules:`), as values of the prometheus-community
   * chart (`rules.custom`, `metricsRelistInterval`) or as the adapter's ConfigMap.
   */
  readonly adapterConfig?: string;
  /** Prometheus' scrape interval in seconds, for workloads no ServiceMonitor in the input sets one for. */
  readonly scrapeIntervalSeconds?: number;
  /** The adapter's `--metrics-relist-interval` in seconds, overriding what the input says. */
  readonly relistIntervalSeconds?: number;
  /**
   * Seconds from container start until the app starts warming up (process boot).
   * @defaultValue 10
   */
  readonly bootSeconds?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are free-form YAML, read field by field.
type Json = any;

interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  readonly spec?: Json;
  readonly data?: Record<string, string>;
}

/** A known value and where it came from, for messages. */
interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

interface AdapterRule {
  readonly rule: Json;
  /** Where the rule came from, e.g. `ConfigMap shop/x data["rule.yaml"][0]`. */
  readonly object: string;
  readonly field: string;
}

const DEFAULT_BOOT_SECONDS = 10;
// The kubelet's probe defaults.
const PROBE_DEFAULTS = { failureThreshold: 3, periodSeconds: 10, initialDelaySeconds: 0 };
const DEFAULT_GRACE_PERIOD = 30;
// SetDefaults_HorizontalPodAutoscaler's scale-up rules, used when behavior is set but scaleUp is not.
const DEFAULT_SCALE_UP = [
  { type: 'Pods', value: 4, periodSeconds: 15 },
  { type: 'Percent', value: 100, periodSeconds: 15 },
];
const SYNC_PERIOD = 15;

/** Seconds in a Prometheus duration (`90s`, `1m30s`, `2h`, `500ms`); undefined when it is not one. */
export function promDurationSeconds(text: unknown): number | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  const units: Record<string, number> = { y: 31_536_000, w: 604_800, d: 86_400, h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  let rest = text;
  while (rest !== '') {
    const match = /^(\d+)(ms|y|w|d|h|m|s)/.exec(rest);
    if (match === null) return undefined;
    total += Number(match[1]) * (units[match[2] as string] as number);
    rest = rest.slice(match[0].length);
  }
  return total;
}

function seconds(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(3).replace(/0+$/, '')}s`;
}

function ref(object: K8sObject): string {
  const ns = object.metadata.namespace;
  return `${object.kind} ${ns ? `${ns}/` : ''}${object.metadata.name}`;
}

function namespaceOf(object: K8sObject): string {
  return object.metadata.namespace ?? '';
}

function matchesLabels(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

function parseObjects(text: string, what: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(text)) {
    const [error] = document.errors;
    if (error !== undefined) throw new LintInputError(`${what}: invalid YAML: ${error.message.split('\n')[0]}`);
    const content: unknown = document.toJS();
    if (typeof content !== 'object' || content === null || Array.isArray(content)) continue;
    const object = content as Json;
    if (object.kind === 'List' && Array.isArray(object.items)) objects.push(...object.items);
    else if (typeof object.kind === 'string' && typeof object.metadata?.name === 'string') objects.push(object);
  }
  return objects;
}

/** A workload with a pod template: Deployment, StatefulSet, DaemonSet or ReplicaSet. */
interface Workload {
  readonly object: K8sObject;
  readonly pod: Json;
  readonly labels: Record<string, string>;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'];

function workloads(objects: readonly K8sObject[]): Workload[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.includes(o.kind) && o.spec?.template?.spec !== undefined)
    .map((o) => ({ object: o, pod: o.spec.template.spec, labels: o.spec.template.metadata?.labels ?? {} }));
}

/** The environment value a container sets for `setting`, its default, or undefined when it comes from elsewhere. */
function appValue(container: Json, setting: AppSetting): Sourced<number | boolean> | undefined {
  const entry = (container.env ?? []).find((e: Json) => e?.name === setting.env);
  if (entry === undefined) return { value: setting.defaultValue, source: `the default of ${setting.env}` };
  if (typeof entry.value !== 'string') return undefined;
  const value = typeof setting.defaultValue === 'boolean' ? entry.value !== 'false' : Number(entry.value);
  if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
  return { value, source: `${setting.env}=${entry.value}` };
}

/** Containers that run @warmscale/middleware: they set a WARMSCALE_* variable or probe its /startupz. */
function appContainers(pod: Json): Array<{ container: Json; index: number }> {
  return (pod.containers ?? [])
    .map((container: Json, index: number) => ({ container, index }))
    .filter(
      ({ container }: { container: Json }) =>
        (container.env ?? []).some((e: Json) => String(e?.name ?? '').startsWith(APP_ENV_PREFIX)) ||
        container.startupProbe?.httpGet?.path === '/startupz',
    );
}

/** The preStop sleep in seconds: the sleep action, or an exec `sleep N` (also through `sh -c`). */
function preStopSleep(container: Json): { seconds: number; field: string } {
  const preStop = container.lifecycle?.preStop;
  if (typeof preStop?.sleep?.seconds === 'number')
    return { seconds: preStop.sleep.seconds, field: 'lifecycle.preStop.sleep.seconds' };
  const command: unknown[] = preStop?.exec?.command ?? [];
  const match = /(?:^|\s)sleep\s+(\d+(?:\.\d+)?)/.exec(command.map(String).join(' '));
  if (match) return { seconds: Number(match[1]), field: 'lifecycle.preStop.exec.command' };
  return { seconds: 0, field: 'lifecycle.preStop (none)' };
}

/** Seconds a new pod needs before it serves: boot plus the warm-up budget when warm-up is on. */
function readySeconds(container: Json, bootSeconds: number): Sourced<number> | undefined {
  const enabled = appValue(container, APP_SETTINGS.warmupEnabled);
  const budget = appValue(container, APP_SETTINGS.warmupBudgetMs);
  if (enabled === undefined || budget === undefined) return undefined;
  if (enabled.value === false) return { value: bootSeconds, source: `boot ${seconds(bootSeconds)}, warm-up off` };
  const warmup = (budget.value as number) / 1000;
  return {
    value: bootSeconds + warmup,
    source: `boot ${seconds(bootSeconds)} + warm-up budget ${seconds(warmup)} (${budget.source})`,
  };
}

class Linter {
  readonly findings: LintFinding[] = [];
  private readonly objects: K8sObject[];
  private readonly workloads: Workload[];
  private readonly bootSeconds: number;
  private readonly adapterRules: AdapterRule[] = [];
  private relist: { value: number; object: string; field: string } | undefined;

  constructor(private readonly input: LintInput) {
    this.objects = input.manifests.flatMap((text, i) => parseObjects(text, `manifest ${i + 1}`));
    this.workloads = workloads(this.objects);
    this.bootSeconds = input.bootSeconds ?? DEFAULT_BOOT_SECONDS;
    this.collectAdapter();
  }

  get objectCount(): number {
    return this.objects.length;
  }

  private report(finding: LintFinding): void {
    this.findings.push(finding);
  }

  private kind(kind: string): K8sObject[] {
    return this.objects.filter((o) => o.kind === kind);
  }

  /** The workload an HPA or ScaledObject targets (same namespace, kind and name). */
  private target(owner: K8sObject): Workload | undefined {
    const target = owner.spec?.scaleTargetRef ?? {};
    const kind = target.kind ?? 'Deployment';
    return this.workloads.find(
      (w) =>
        w.object.kind === kind &&
        w.object.metadata.name === target.name &&
        namespaceOf(w.object) === namespaceOf(owner),
    );
  }

  /** Services whose selector picks the workload's pods. */
  private servicesOf(workload: Workload): K8sObject[] {
    return this.kind('Service').filter(
      (s) => namespaceOf(s) === namespaceOf(workload.object) && matchesLabels(s.spec?.selector, workload.labels),
    );
  }

  /** ServiceMonitors that select one of `services`, with the endpoint index of each. */
  private monitorsOf(services: readonly K8sObject[]): Array<{ monitor: K8sObject; service: K8sObject }> {
    const found: Array<{ monitor: K8sObject; service: K8sObject }> = [];
    for (const monitor of this.kind('ServiceMonitor')) {
      const namespaces = monitor.spec?.namespaceSelector;
      for (const service of services) {
        const inNamespace =
          namespaces?.any === true ||
          (Array.isArray(namespaces?.matchNames)
            ? namespaces.matchNames.includes(namespaceOf(service))
            : namespaceOf(service) === namespaceOf(monitor));
        if (inNamespace && matchesLabels(monitor.spec?.selector?.matchLabels, service.metadata.labels)) {
          found.push({ monitor, service });
        }
      }
    }
    return found;
  }

  /** The scrape interval of a workload's pods: its ServiceMonitors' longest, the chart's annotation, or the flag. */
  private scrapeInterval(workload: Workload | undefined): Sourced<number> | undefined {
    if (workload !== undefined) {
      let longest: Sourced<number> | undefined;
      for (const { monitor } of this.monitorsOf(this.servicesOf(workload))) {
        (monitor.spec?.endpoints ?? []).forEach((endpoint: Json, i: number) => {
          const value = promDurationSeconds(endpoint?.interval);
          if (value !== undefined && (longest === undefined || value > longest.value)) {
            longest = { value, source: `${ref(monitor)} spec.endpoints[${i}].interval` };
          }
        });
      }
      if (longest !== undefined) return longest;
    }
    if (this.input.scrapeIntervalSeconds !== undefined) {
      return { value: this.input.scrapeIntervalSeconds, source: '--scrape-interval' };
    }
    for (const configMap of this.kind('ConfigMap')) {
      const value = promDurationSeconds(configMap.metadata.annotations?.['warmscale.io/scrape-interval']);
      if (value !== undefined) {
        return { value, source: `${ref(configMap)} metadata.annotations["warmscale.io/scrape-interval"]` };
      }
    }
    return undefined;
  }

  /** The longest scrape interval among the autoscaled workloads (what the global adapter rule must cover). */
  private longestScrapeInterval(): Sourced<number> | undefined {
    const targets = [...this.kind('HorizontalPodAutoscaler'), ...this.kind('ScaledObject')]
      .map((owner) => this.target(owner))
      .filter((w): w is Workload => w !== undefined);
    const intervals = (targets.length > 0 ? targets : [undefined]).map((w) => this.scrapeInterval(w));
    return intervals.reduce<Sourced<number> | undefined>(
      (longest, next) => (next !== undefined && (longest === undefined || next.value > longest.value) ? next : longest),
      undefined,
    );
  }

  private addRules(rules: unknown, object: string, field: string): void {
    if (!Array.isArray(rules)) return;
    rules.forEach((rule, i) => {
      this.adapterRules.push({ rule, object, field: `${field}[${i}]` });
    });
  }

  private setRelist(value: unknown, object: string, field: string): void {
    const parsed = promDurationSeconds(typeof value === 'number' ? `${value}s` : value);
    if (parsed !== undefined && this.relist === undefined) this.relist = { value: parsed, object, field };
  }

  /** Reads adapter rules and the relist interval from the adapter config, then from the manifests. */
  private collectAdapter(): void {
    if (this.input.relistIntervalSeconds !== undefined) {
      this.relist = {
        value: this.input.relistIntervalSeconds,
        object: 'prometheus-adapter',
        field: '--relist-interval',
      };
    }
    if (this.input.adapterConfig !== undefined) this.readAdapterConfig(this.input.adapterConfig, '--adapter-config');
    for (const configMap of this.kind('ConfigMap')) {
      const data = configMap.data ?? {};
      if (
        configMap.metadata.labels?.['warmscale.io/adapter-rule'] === 'true' &&
        typeof data['rule.yaml'] === 'string'
      ) {
        this.addRules(parseYaml(data['rule.yaml'], ref(configMap)), ref(configMap), 'data["rule.yaml"]');
        if (typeof data['adapter-values.yaml'] === 'string') {
          const values = parseYaml(data['adapter-values.yaml'], ref(configMap));
          this.setRelist(
            values?.metricsRelistInterval,
            ref(configMap),
            'data["adapter-values.yaml"].metricsRelistInterval',
          );
        }
      } else if (typeof data['config.yaml'] === 'string' && /^rules:/m.test(data['config.yaml'])) {
        // The prometheus-adapter chart's own ConfigMap.
        this.addRules(
          parseYaml(data['config.yaml'], ref(configMap))?.rules,
          ref(configMap),
          'data["config.yaml"].rules',
        );
      }
    }
    for (const workload of this.workloads) {
      for (const container of workload.pod.containers ?? []) {
        const args: string[] = [...(container.command ?? []), ...(container.args ?? [])].map(String);
        const flag = args.find((arg) => arg.startsWith('--metrics-relist-interval='));
        if (flag !== undefined) {
          this.setRelist(
            flag.split('=')[1],
            ref(workload.object),
            `container ${container.name} --metrics-relist-interval`,
          );
        }
      }
    }
  }

  private readAdapterConfig(text: string, source: string): void {
    const parsed = parseYaml(text, source);
    if (parsed?.kind === 'ConfigMap' && typeof parsed.data?.['config.yaml'] === 'string') {
      this.readAdapterConfig(parsed.data['config.yaml'], `${source} data["config.yaml"]`);
      return;
    }
    if (Array.isArray(parsed?.rules)) {
      this.addRules(parsed.rules, source, 'rules');
    } else if (Array.isArray(parsed?.rules?.custom)) {
      this.addRules(parsed.rules.custom, source, 'rules.custom');
      this.setRelist(parsed.metricsRelistInterval, source, 'metricsRelistInterval');
    } else {
      throw new LintInputError(
        `${source}: neither an adapter config.yaml (rules: [...]) nor prometheus-adapter chart values (rules.custom: [...])`,
      );
    }
  }

  run(): void {
    this.rateWindows();
    this.relistInterval();
    for (const workload of this.workloads) this.podTimings(workload);
    for (const hpa of this.kind('HorizontalPodAutoscaler')) this.hpa(hpa);
    for (const scaledObject of this.kind('ScaledObject')) this.scaledObject(scaledObject);
    this.doubleScrape();
  }

  /** rule rate-window: every rate() window of the adapter rules and KEDA queries >= 4 x the scrape interval. */
  private rateWindows(): void {
    const checkQuery = (
      query: unknown,
      object: string,
      field: string,
      scrape: Sourced<number> | undefined,
      chartValue: string,
    ) => {
      if (typeof query !== 'string' || scrape === undefined) return;
      for (const match of query.matchAll(/\b(?:rate|irate|increase)\s*\([^[]*\[([^\]:]+)\]/g)) {
        const window = promDurationSeconds(match[1]);
        if (window === undefined || window >= 4 * scrape.value) continue;
        this.report({
          severity: 'error',
          rule: 'rate-window',
          object,
          field,
          message: `rate() window ${match[1]} (${seconds(window)}) is shorter than 4 x the scrape interval ${seconds(scrape.value)} (${scrape.source}) = ${seconds(4 * scrape.value)}: after one missed or late scrape the window holds fewer than two samples, rate() returns nothing and the autoscaler sees no metric.`,
          fix: `use a window of at least ${seconds(4 * scrape.value)}${chartValue}.`,
        });
      }
    };
    const scrape = this.longestScrapeInterval();
    for (const { rule, object, field } of this.adapterRules) {
      checkQuery(rule?.metricsQuery, object, `${field}.metricsQuery`, scrape, ' (chart: adapterRule.rateWindow)');
    }
    for (const scaledObject of this.kind('ScaledObject')) {
      const interval = this.scrapeInterval(this.target(scaledObject));
      (scaledObject.spec?.triggers ?? []).forEach((trigger: Json, i: number) => {
        if (trigger?.type !== 'prometheus') return;
        checkQuery(
          trigger.metadata?.query,
          ref(scaledObject),
          `spec.triggers[${i}].metadata.query`,
          interval,
          ' (chart: keda.query or adapterRule.rateWindow)',
        );
      });
    }
  }

  /** rule relist-interval: the adapter's relist interval >= the scrape interval. */
  private relistInterval(): void {
    const scrape = this.longestScrapeInterval();
    if (this.relist === undefined || scrape === undefined || this.adapterRules.length === 0) return;
    if (this.relist.value >= scrape.value) return;
    this.report({
      severity: 'error',
      rule: 'relist-interval',
      object: this.relist.object,
      field: this.relist.field,
      message: `the adapter's relist interval ${seconds(this.relist.value)} is shorter than the scrape interval ${seconds(scrape.value)} (${scrape.source}): the adapter lists only series with a sample newer than the relist interval, so the metric vanishes between scrapes and the HPA reports FailedGetPodsMetric.`,
      fix: `set the relist interval to at least ${seconds(scrape.value)} (prometheus-adapter chart: metricsRelistInterval; this chart: adapterRule.metricsRelistInterval).`,
    });
  }

  /** rules grace-period and startup-budget, for each container running the middleware. */
  private podTimings(workload: Workload): void {
    const object = ref(workload.object);
    const grace =
      typeof workload.pod.terminationGracePeriodSeconds === 'number'
        ? workload.pod.terminationGracePeriodSeconds
        : DEFAULT_GRACE_PERIOD;
    const graceSource =
      typeof workload.pod.terminationGracePeriodSeconds === 'number'
        ? 'spec.template.spec.terminationGracePeriodSeconds'
        : 'the default of 30 s';
    for (const { container, index } of appContainers(workload.pod)) {
      const at = `spec.template.spec.containers[${index}]`;
      const timeout = appValue(container, APP_SETTINGS.shutdownTimeoutMs);
      if (timeout !== undefined) {
        const preStop = preStopSleep(container);
        const timeoutSeconds = (timeout.value as number) / 1000;
        const needed = preStop.seconds + timeoutSeconds;
        if (grace <= needed) {
          this.report({
            severity: 'error',
            rule: 'grace-period',
            object,
            field: 'spec.template.spec.terminationGracePeriodSeconds',
            message: `grace period ${seconds(grace)} (${graceSource}) is not above the preStop sleep ${seconds(preStop.seconds)} (${at}.${preStop.field}) + the app's shutdown timeout ${seconds(timeoutSeconds)} (${timeout.source}) = ${seconds(needed)}: the preStop time counts against the grace period, so the kubelet sends SIGKILL before the app has drained and run its close hooks.`,
            fix: `set terminationGracePeriodSeconds to at least ${needed + 5} (preStop + timeout + a 5 s margin), or lower WARMSCALE_SHUTDOWN_TIMEOUT_MS (chart: leave shutdown.terminationGracePeriodSeconds null to derive it).`,
          });
        }
      }
      const probe = container.startupProbe;
      const ready = readySeconds(container, this.bootSeconds);
      if (probe === undefined || ready === undefined) continue;
      const failureThreshold = probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold;
      const period = probe.periodSeconds ?? PROBE_DEFAULTS.periodSeconds;
      const delay = probe.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds;
      const budget = delay + failureThreshold * period;
      if (budget >= ready.value) continue;
      this.report({
        severity: 'error',
        rule: 'startup-budget',
        object,
        field: `${at}.startupProbe`,
        message: `startupProbe budget ${delay > 0 ? `${seconds(delay)} + ` : ''}${failureThreshold} x ${seconds(period)} = ${seconds(budget)} is shorter than ${seconds(ready.value)} (${ready.source}): the kubelet restarts the container while it is still warming up, and the pod never gets ready.`,
        fix: `set failureThreshold to at least ${Math.ceil((ready.value - delay) / period)} with periodSeconds ${period} (chart: derived from probes.startup.bootSeconds and warmup.budgetSeconds).`,
      });
    }
  }

  /** Seconds a new pod of the workload needs before serving, when it runs the middleware. */
  private podReadySeconds(workload: Workload | undefined): Sourced<number> | undefined {
    if (workload === undefined) return undefined;
    const [app] = appContainers(workload.pod);
    return app === undefined ? undefined : readySeconds(app.container, this.bootSeconds);
  }

  private hpa(hpa: Json): void {
    const object = ref(hpa);
    const workload = this.target(hpa);
    this.scaleUpPolicies(object, 'spec.behavior', hpa.spec?.behavior, workload);
    (hpa.spec?.metrics ?? []).forEach((metric: Json, i: number) => {
      if (
        metric?.type === 'Resource' &&
        (metric.resource?.target?.type === 'Utilization' || metric.resource?.target?.averageUtilization !== undefined)
      ) {
        this.utilizationRequest(object, `spec.metrics[${i}].resource`, metric.resource.name, workload);
      }
      if (metric?.type === 'Pods' && typeof metric.pods?.metric?.name === 'string') {
        this.metricName(object, `spec.metrics[${i}].pods.metric.name`, metric.pods.metric.name);
      }
    });
  }

  /** rule scale-up-policy: each scale-up period at least as long as a new pod needs to serve. */
  private scaleUpPolicies(object: string, at: string, behavior: Json, workload: Workload | undefined): void {
    const ready = this.podReadySeconds(workload);
    if (ready === undefined) return;
    if (behavior === undefined || behavior === null) {
      if (SYNC_PERIOD >= ready.value) return;
      this.report({
        severity: 'warning',
        rule: 'scale-up-policy',
        object,
        field: at,
        message: `no ${at}: the controller's legacy limit allows max(2 x current, 4) pods at every ${SYNC_PERIOD} s sync, while a new pod needs ${seconds(ready.value)} (${ready.source}) to serve; the HPA keeps adding pods for load the pods it just added will take.`,
        fix: `set ${at}.scaleUp.policies with periodSeconds >= ${Math.ceil(ready.value)} (the chart always renders behavior).`,
      });
      return;
    }
    const scaleUp = behavior.scaleUp;
    if (scaleUp?.selectPolicy === 'Disabled') return;
    const policies: Json[] = Array.isArray(scaleUp?.policies) ? scaleUp.policies : DEFAULT_SCALE_UP;
    const field = Array.isArray(scaleUp?.policies) ? `${at}.scaleUp.policies` : `${at}.scaleUp (defaulted policies)`;
    policies.forEach((policy, i) => {
      if (typeof policy?.periodSeconds !== 'number' || policy.periodSeconds >= ready.value) return;
      this.report({
        severity: 'warning',
        rule: 'scale-up-policy',
        object,
        field: Array.isArray(scaleUp?.policies) ? `${field}[${i}]` : field,
        message: `${policy.type} ${policy.value} per ${seconds(policy.periodSeconds)} lets the HPA add pods again before the ones it added can serve: a new pod needs ${seconds(ready.value)} (${ready.source}), so the limit refills while that capacity is still missing and the next syncs add pods for the same load.`,
        fix: `set periodSeconds to at least ${Math.ceil(ready.value)} (chart: autoscaling.behavior.scaleUp.policies).`,
      });
    });
  }

  /** rule utilization-request: a Utilization target needs the resource's request in every container. */
  private utilizationRequest(object: string, field: string, resource: string, workload: Workload | undefined): void {
    if (workload === undefined || (resource !== 'cpu' && resource !== 'memory')) return;
    (workload.pod.containers ?? []).forEach((container: Json, i: number) => {
      if (container.resources?.requests?.[resource] !== undefined) return;
      this.report({
        severity: 'error',
        rule: 'utilization-request',
        object,
        field,
        message: `${resource} Utilization is a percentage of the request, but container ${container.name} (${ref(workload.object)} spec.template.spec.containers[${i}].resources.requests.${resource}) has no ${resource} request: the HPA reports "missing request for ${resource}" and never scales on it.`,
        fix: `set resources.requests.${resource} on every container of ${ref(workload.object)}, or use an AverageValue target.`,
      });
    });
  }

  /** rule metric-name: the HPA's Pods metric is a name one of the adapter rules serves. */
  private metricName(object: string, field: string, name: string): void {
    if (this.adapterRules.length === 0) return;
    const served: string[] = [];
    for (const { rule } of this.adapterRules) {
      const series = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/.exec(String(rule?.seriesQuery ?? ''))?.[1];
      if (series === undefined) return; // A rule over a pattern of series could serve any name: nothing to compare.
      const servedName = adapterName(rule, series);
      if (servedName !== undefined) served.push(servedName);
    }
    if (served.includes(name)) return;
    const sources = [...new Set(this.adapterRules.map((r) => r.object))].join(', ');
    this.report({
      severity: 'error',
      rule: 'metric-name',
      object,
      field,
      message: `the HPA asks the custom metrics API for "${name}", but the adapter rules (${sources}) serve ${served.length > 0 ? served.map((n) => `"${n}"`).join(', ') : 'no literal name'}: the API answers 404 and the HPA reports FailedGetPodsMetric.`,
      fix: `name the metric as the rule's name.as produces it${served.length > 0 ? ` ("${served[0]}")` : ''}, or change the rule.`,
    });
  }

  private scaledObject(scaledObject: Json): void {
    const object = ref(scaledObject);
    const workload = this.target(scaledObject);
    const triggers: Json[] = scaledObject.spec?.triggers ?? [];
    this.scaleUpPolicies(
      object,
      'spec.advanced.horizontalPodAutoscalerConfig.behavior',
      scaledObject.spec?.advanced?.horizontalPodAutoscalerConfig?.behavior,
      workload,
    );
    triggers.forEach((trigger, i) => {
      if (
        (trigger?.type === 'cpu' || trigger?.type === 'memory') &&
        (trigger.metricType ?? 'Utilization') === 'Utilization'
      ) {
        this.utilizationRequest(object, `spec.triggers[${i}]`, trigger.type, workload);
      }
      if (trigger?.type !== 'prometheus') return;
      const ignore = trigger.metadata?.ignoreNullValues;
      if (String(ignore).toLowerCase() === 'false') return;
      this.report({
        severity: 'error',
        rule: 'keda-null-values',
        object,
        field: `spec.triggers[${i}].metadata.ignoreNullValues`,
        message: `${ignore === undefined ? 'unset, which KEDA reads as true' : `"${ignore}"`}: an empty query result, as during a Prometheus outage, counts as 0 and the deployment scales in to its minimum at peak (kedacore/keda#3065).`,
        fix: 'set ignoreNullValues: "false" so an empty result is an error (and add a fallback).',
      });
    });
    const resourceOnly = triggers.some((t) => t?.type === 'cpu' || t?.type === 'memory');
    const fallback = scaledObject.spec?.fallback;
    if (fallback === undefined || fallback === null) {
      // KEDA refuses a fallback next to cpu/memory triggers; ignoreNullValues "false" is the protection there.
      if (resourceOnly || !triggers.some((t) => t?.type === 'prometheus')) return;
      this.report({
        severity: 'warning',
        rule: 'keda-fallback',
        object,
        field: 'spec.fallback',
        message:
          'no fallback: when the prometheus query keeps failing, KEDA has no replica count of its own to hold, and with minReplicaCount 0 it scales to zero.',
        fix: 'add fallback: {failureThreshold: 3, replicas: <minReplicaCount>, behavior: currentReplicasIfHigher} (KEDA >= 2.17).',
      });
      return;
    }
    const max = scaledObject.spec?.maxReplicaCount ?? 100;
    if (
      (fallback.behavior ?? 'static') === 'static' &&
      typeof fallback.replicas === 'number' &&
      fallback.replicas < max
    ) {
      this.report({
        severity: 'warning',
        rule: 'keda-fallback',
        object,
        field: 'spec.fallback.behavior',
        message: `static fallback: during an outage KEDA sets exactly ${fallback.replicas} replicas, fewer than the ${max} it may run at peak, so an outage at peak scales in.`,
        fix: 'set behavior: currentReplicasIfHigher (KEDA >= 2.17), or replicas to the peak count.',
      });
    }
  }

  /** rule double-scrape: one pod selected by a ServiceMonitor and carrying prometheus.io/scrape annotations. */
  private doubleScrape(): void {
    for (const workload of this.workloads) {
      const services = this.servicesOf(workload);
      const monitors = this.monitorsOf(services);
      if (monitors.length === 0) continue;
      const annotated = [
        ...services
          .filter((s) => s.metadata.annotations?.['prometheus.io/scrape'] === 'true')
          .map((s) => ({ object: ref(s), field: 'metadata.annotations["prometheus.io/scrape"]' })),
        ...(workload.object.spec.template.metadata?.annotations?.['prometheus.io/scrape'] === 'true'
          ? [{ object: ref(workload.object), field: 'spec.template.metadata.annotations["prometheus.io/scrape"]' }]
          : []),
      ];
      for (const { object, field } of annotated) {
        this.report({
          severity: 'warning',
          rule: 'double-scrape',
          object,
          field,
          message: `the pods of ${ref(workload.object)} are also scraped through ${ref(monitors[0]?.monitor as K8sObject)}: a Prometheus that uses both ServiceMonitors and annotation discovery scrapes each pod twice, and sum(rate(...)) by (pod) doubles the QPS the HPA sees.`,
          fix: 'keep one of the two: drop the prometheus.io/scrape annotation (chart: service.prometheusScrape=false) or the ServiceMonitor.',
        });
      }
    }
  }
}

function parseYaml(text: string, source: string): Json {
  const documents = parseAllDocuments(text);
  const [document] = documents;
  const [error] = document?.errors ?? [];
  if (error !== undefined) throw new LintInputError(`${source}: invalid YAML: ${error.message.split('\n')[0]}`);
  return document?.toJS();
}

/** The custom metric name a rule serves for `series`: `name.as` expanded with the `name.matches` groups. */
function adapterName(rule: Json, series: string): string | undefined {
  const matches = rule?.name?.matches ?? '';
  let regex: RegExp;
  try {
    regex = new RegExp(matches);
  } catch {
    return undefined;
  }
  const match = regex.exec(series);
  if (match === null) return undefined;
  // prometheus-adapter: `as` defaults to $0 without a capture group and $1 with one.
  const as = rule?.name?.as || (match.length > 1 ? '$1' : '$0');
  return String(as).replace(
    /\$\{(\d+)\}|\$(\d+)/g,
    (_, braced: string, bare: string) => match[Number(braced ?? bare)] ?? '',
  );
}

/** The result of {@link lintManifests}. */
export interface LintResult {
  /** Errors first, then warnings, each in input order. */
  readonly findings: readonly LintFinding[];
  readonly errors: number;
  readonly warnings: number;
  /** Kubernetes objects read. */
  readonly objects: number;
}

/**
 * Checks the manifests (and the adapter config) across layers.
 * @throws LintInputError on unreadable input
 */
export function lintManifests(input: LintInput): LintResult {
  const linter = new Linter(input);
  linter.run();
  const findings = [
    ...linter.findings.filter((f) => f.severity === 'error'),
    ...linter.findings.filter((f) => f.severity === 'warning'),
  ];
  return {
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    objects: linter.objectCount,
  };
}

/** The findings as text, one block per finding, and a summary line. */
export function formatLint(result: LintResult): string {
  const blocks = result.findings.map(
    (f) => `${f.severity} [${f.rule}] ${f.object} ${f.field}\n  ${f.message}\n  fix: ${f.fix}`,
  );
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary =
    result.findings.length === 0
      ? `no findings in ${plural(result.objects, 'object')}`
      : `${plural(result.errors, 'error')}, ${plural(result.warnings, 'warning')} in ${plural(result.objects, 'object')}`;
  return [...blocks, summary].join('\n');
}
