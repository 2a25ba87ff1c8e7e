import { parse } from 'yaml';
import { FULLNAME, findObject, type K8sObject } from './render.js';

/** One prometheus-adapter discovery rule (the `rules:` item format of the adapter's config.yaml). */
export interface AdapterRule {
  seriesQuery: string;
  resources: { overrides: Record<string, { group?: string; resource: string }> };
  name: { matches: string; as: string };
  metricsQuery: string;
}

/** The `<fullname>-adapter-rule` ConfigMap (rendered when `adapterRule.enabled`). */
export function adapterRuleConfigMap(objects: readonly K8sObject[]): K8sObject {
  return findObject(objects, 'ConfigMap', `${FULLNAME}-adapter-rule`);
}

function configMapKey(objects: readonly K8sObject[], key: string): string {
  const text = adapterRuleConfigMap(objects).data?.[key];
  if (text === undefined) throw new Error(`the adapter rule ConfigMap has no ${key}`);
  return text;
}

/**
 * The adapter rule the chart renders, parsed from the ConfigMap's `rule.yaml` (a one-item rules list).
 * @throws Error when the ConfigMap is missing or does not hold exactly one rule
 */
export function adapterRule(objects: readonly K8sObject[]): AdapterRule {
  const rules = parse(configMapKey(objects, 'rule.yaml')) as AdapterRule[];
  if (!Array.isArray(rules) || rules.length !== 1) throw new Error('rule.yaml must hold exactly one rule');
  return rules[0] as AdapterRule;
}

/** Values for the prometheus-community/prometheus-adapter chart, as the chart renders them. */
export interface AdapterValues {
  prometheus: { url: string; port: number };
  metricsRelistInterval: string;
  rules: { default: boolean; custom: AdapterRule[] };
}

/** The text of the ConfigMap's `adapter-values.yaml`: a values file for the prometheus-adapter chart. */
export function adapterValuesText(objects: readonly K8sObject[]): string {
  return configMapKey(objects, 'adapter-values.yaml');
}

/** The prometheus-community/prometheus-adapter chart values from the ConfigMap's `adapter-values.yaml`. */
export function adapterValuesFragment(objects: readonly K8sObject[]): AdapterValues {
  return parse(adapterValuesText(objects)) as AdapterValues;
}

/** The custom metric name the adapter serves for `seriesName`: `name.as` expanded with the `name.matches` groups. */
export function adapterMetricName(rule: AdapterRule, seriesName: string): string {
  const match = new RegExp(rule.name.matches).exec(seriesName);
  if (!match) throw new Error(`${seriesName} does not match name.matches ${rule.name.matches}`);
  return rule.name.as.replace(
    /\$\{(\d+)\}|\$(\d+)/g,
    (_, braced: string, bare: string) => match[Number(braced ?? bare)] ?? '',
  );
}

/** The series name a rule's `seriesQuery` selects (the part before the label matchers). */
export function seriesName(rule: AdapterRule): string {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{/.exec(rule.seriesQuery);
  if (!match?.[1]) throw new Error(`seriesQuery does not start with a metric name: ${rule.seriesQuery}`);
  return match[1];
}

/** `rate()` windows (e.g. `"1m"`) used in a PromQL expression, in order. */
export function rateWindows(query: string): string[] {
  return [...query.matchAll(/\brate\([^)]*\[([^\]]+)\]\)/g)].map((match) => match[1] as string);
}

/**
 * Renders a rule's metricsQuery the way prometheus-adapter v0.12 does for
 * `GET /apis/custom.metrics.k8s.io/v1beta1/namespaces/<namespace>/pods/<names>/<metric>` (pkg/naming/metrics_query.go):
 * `<<.Series>>` is the series name, `<<.LabelMatchers>>` is `namespace="<ns>"` then `pod="<name>"` for one pod or
 * `pod=~"<a>|<b>"` for several (values quoted like Go's %q), and `<<.GroupBy>>` is `pod`.
 */
export function renderMetricsQuery(rule: AdapterRule, namespace: string, pods: readonly string[]): string {
  if (pods.length === 0) throw new Error('the adapter queries at least one pod');
  const podMatcher = pods.length === 1 ? `pod=${JSON.stringify(pods[0])}` : `pod=~${JSON.stringify(pods.join('|'))}`;
  const args: Record<string, string> = {
    Series: seriesName(rule),
    LabelMatchers: `namespace=${JSON.stringify(namespace)},${podMatcher}`,
    GroupBy: 'pod',
  };
  return rule.metricsQuery.replace(/<<\s*\.(\w+)\s*>>/g, (action: string, field: string) => {
    const value = args[field];
    if (value === undefined) throw new Error(`metricsQuery uses ${action}, which this renderer does not support`);
    return value;
  });
}
