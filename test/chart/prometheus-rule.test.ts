// The PrometheusRule's alerts, as rendered, checked by promtool (`check rules`) and unit-tested by promtool
// (`test rules`) on input series for a firing and a non-firing case each: the app's own series with the labels the
// ServiceMonitor gives them, and kube-state-metrics series of the HPA and the pods.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promtoolPath, run } from './helm.js';
import { FULLNAME, findObject, type K8sObject, NAMESPACE, renderChart } from './render.js';
import { validateObject } from './validate.js';

const POD = `${FULLNAME}-6d4cf56db6-a1b2c`;
const POD_B = `${FULLNAME}-6d4cf56db6-d3e4f`;
const ALERT_LABELS = { team: 'shop' };
const RULE_VALUES = { prometheusRule: { enabled: true, alertLabels: ALERT_LABELS } };

/** A series of the app, with the target labels the ServiceMonitor's relabelling adds. */
function app(name: string, pod: string, labels: Record<string, string> = {}): string {
  const all = { namespace: NAMESPACE, service: FULLNAME, job: FULLNAME, pod, container: 'app', ...labels };
  return `${name}{${Object.entries(all)
    .map(([key, value]) => `${key}="${value}"`)
    .join(',')}}`;
}

/** A kube-state-metrics series: its own job labels, the object's namespace (honorLabels) and the given labels. */
function ksm(name: string, labels: Record<string, string>): string {
  const all = { job: 'kube-state-metrics', namespace: NAMESPACE, ...labels };
  return `${name}{${Object.entries(all)
    .map(([key, value]) => `${key}="${value}"`)
    .join(',')}}`;
}

const hpaLabels = (name = FULLNAME) => ({ horizontalpodautoscaler: name });

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: Array<{ exp_labels: Record<string, string>; exp_annotations: Record<string, string> }>;
}

describe('the PrometheusRule, checked and unit-tested by promtool', () => {
  let promtool: string;
  let dir: string;
  let objects: K8sObject[];
  let rules: Rule[];
  let rulesFile: string;

  before(async () => {
    promtool = await promtoolPath();
    dir = await mkdtemp(join(tmpdir(), 'warmscale-rules-'));
    objects = await renderChart(RULE_VALUES);
    const prometheusRule = findObject(objects, 'PrometheusRule', FULLNAME);
    rules = prometheusRule.spec.groups[0].rules;
    rulesFile = join(dir, 'rules.json');
    // promtool reads the Prometheus rule-file format, which is the PrometheusRule's spec.
    await writeFile(rulesFile, JSON.stringify(prometheusRule.spec, null, 2));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function rule(name: string): Rule {
    const found = rules.find((r) => r.alert === name);
    assert.ok(found, `${name} is rendered`);
    return found;
  }

  /** The rule's annotations as Prometheus expands them for one alert (only the templates the chart uses). */
  function expanded(name: string, labels: Record<string, string>, value: string): Record<string, string> {
    return Object.fromEntries(
      Object.entries(rule(name).annotations).map(([key, text]) => [
        key,
        text
          .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, label: string) => labels[label] ?? '')
          .replace(/\{\{ \$value( \| humanize)? \}\}/g, value),
      ]),
    );
  }

  /** Expected alert labels: the series' labels the expression keeps, then the rule's labels. */
  function firing(name: string, kept: Record<string, string>, value: string) {
    const labels = { alertname: name, ...kept, ...rule(name).labels };
    const { alertname: _, ...expLabels } = labels;
    return { exp_labels: expLabels, exp_annotations: expanded(name, labels, value) };
  }

  /** Runs one `promtool test rules` group; resolves with promtool's exit code and output. */
  async function promtoolTest(
    inputSeries: Array<{ series: string; values: string }>,
    alertTests: AlertTest[],
  ): Promise<{ code: number; output: string }> {
    const file = join(dir, `test-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    const content = {
      rule_files: [rulesFile],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: inputSeries, alert_rule_test: alertTests }],
    };
    await writeFile(file, JSON.stringify(content, null, 2));
    const result = await run(promtool, ['test', 'rules', file]);
    return { code: result.code, output: result.stdout + result.stderr };
  }

  test('promtool check rules accepts the six rules, and the PrometheusRule passes its schema', async () => {
    const result = await run(promtool, ['check', 'rules', rulesFile]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.stdout, `Checking ${rulesFile}\n  SUCCESS: 6 rules found\n\n`);
    assert.deepEqual(
      rules.map((r) => [r.alert, r.for, r.labels.severity]),
      [
        ['WarmscaleHPAMaxedOut', '15m', 'warning'],
        ['WarmscaleQPSMetricMissing', '5m', 'critical'],
        ['WarmscaleHPAMetricUnavailable', '5m', 'critical'],
        ['WarmscaleWarmupFailed', '1m', 'warning'],
        ['WarmscaleRequestsAfterShutdown', '0s', 'warning'],
        ['WarmscaleRestartsDuringWarmup', '5m', 'warning'],
      ],
    );
    for (const r of rules) {
      assert.deepEqual(r.labels, {
        namespace: NAMESPACE,
        service: FULLNAME,
        severity: r.labels.severity,
        team: 'shop',
      });
      assert.deepEqual(Object.keys(r.annotations), ['summary', 'description', 'runbook_url']);
      assert.match(r.annotations.description ?? '', /\nCheck: .+\nFix: .+$/);
    }
    validateObject(findObject(objects, 'PrometheusRule', FULLNAME));
  });

  test('WarmscaleHPAMaxedOut fires after 15m at maxReplicas with pods above 50 q/s, not below the target or below max', async () => {
    const maxedOut = [
      { series: ksm('kube_horizontalpodautoscaler_status_current_replicas', hpaLabels()), values: '10x30' },
      { series: ksm('kube_horizontalpodautoscaler_spec_max_replicas', hpaLabels()), values: '10x30' },
    ];
    // 60 and 70 q/s: 65 on average per pod, above the 50 target.
    const busy = [
      { series: app('httpserver_requests_total', POD, { route: '/hello' }), values: '0+3600x30' },
      { series: app('httpserver_requests_total', POD_B, { route: '/hello' }), values: '0+4200x30' },
    ];
    // The comparison `on (namespace, horizontalpodautoscaler)` keeps only those two labels.
    const hpaKept = { namespace: NAMESPACE, horizontalpodautoscaler: FULLNAME };
    const fires = await promtoolTest(
      [...maxedOut, ...busy],
      [
        { eval_time: '10m', alertname: 'WarmscaleHPAMaxedOut', exp_alerts: [] },
        {
          eval_time: '20m',
          alertname: 'WarmscaleHPAMaxedOut',
          exp_alerts: [firing('WarmscaleHPAMaxedOut', hpaKept, '10')],
        },
      ],
    );
    assert.equal(fires.code, 0, fires.output);
    // 40 q/s per pod at maxReplicas: the HPA is not short of room.
    const quiet = [
      { series: app('httpserver_requests_total', POD, { route: '/hello' }), values: '0+2400x30' },
      { series: app('httpserver_requests_total', POD_B, { route: '/hello' }), values: '0+2400x30' },
    ];
    const belowTarget = await promtoolTest(
      [...maxedOut, ...quiet],
      [{ eval_time: '25m', alertname: 'WarmscaleHPAMaxedOut', exp_alerts: [] }],
    );
    assert.equal(belowTarget.code, 0, belowTarget.output);
    // Busy pods but 8 of 10 replicas: the HPA can still scale up.
    const roomLeft = await promtoolTest(
      [
        { series: ksm('kube_horizontalpodautoscaler_status_current_replicas', hpaLabels()), values: '8x30' },
        { series: ksm('kube_horizontalpodautoscaler_spec_max_replicas', hpaLabels()), values: '10x30' },
        ...busy,
      ],
      [{ eval_time: '25m', alertname: 'WarmscaleHPAMaxedOut', exp_alerts: [] }],
    );
    assert.equal(roomLeft.code, 0, roomLeft.output);
  });

  test('WarmscaleQPSMetricMissing fires when no pod of the service is scraped or the series stop, not while they grow', async () => {
    const otherNamespace = {
      series: `httpserver_requests_total{namespace="staging",service="${FULLNAME}",pod="${POD}"}`,
      values: '0+60x30',
    };
    const missing = await promtoolTest(
      [otherNamespace],
      [
        { eval_time: '4m', alertname: 'WarmscaleQPSMetricMissing', exp_alerts: [] },
        {
          eval_time: '10m',
          alertname: 'WarmscaleQPSMetricMissing',
          exp_alerts: [firing('WarmscaleQPSMetricMissing', {}, '1')],
        },
      ],
    );
    assert.equal(missing.code, 0, missing.output);
    // Scraped until 5m, then the target is gone: rate() is empty from 6m, the alert fires 5m later.
    const stopped = await promtoolTest(
      [{ series: app('httpserver_requests_total', POD, { route: '/hello' }), values: '0+60x5' }],
      [
        { eval_time: '5m', alertname: 'WarmscaleQPSMetricMissing', exp_alerts: [] },
        {
          eval_time: '15m',
          alertname: 'WarmscaleQPSMetricMissing',
          exp_alerts: [firing('WarmscaleQPSMetricMissing', {}, '1')],
        },
      ],
    );
    assert.equal(stopped.code, 0, stopped.output);
    const present = await promtoolTest(
      [{ series: app('httpserver_requests_total', POD, { route: '/hello' }), values: '0+60x30' }],
      [{ eval_time: '20m', alertname: 'WarmscaleQPSMetricMissing', exp_alerts: [] }],
    );
    assert.equal(present.code, 0, present.output);
  });

  test('WarmscaleHPAMetricUnavailable fires on ScalingActive=False for 5m, not on ScalingActive=True', async () => {
    const condition = (status: string) =>
      ksm('kube_horizontalpodautoscaler_status_condition', { ...hpaLabels(), condition: 'ScalingActive', status });
    const kept = {
      job: 'kube-state-metrics',
      namespace: NAMESPACE,
      horizontalpodautoscaler: FULLNAME,
      condition: 'ScalingActive',
      status: 'false',
    };
    const unavailable = await promtoolTest(
      [
        { series: condition('false'), values: '0x2 1x20' },
        { series: condition('true'), values: '1x2 0x20' },
      ],
      [
        { eval_time: '6m', alertname: 'WarmscaleHPAMetricUnavailable', exp_alerts: [] },
        {
          eval_time: '10m',
          alertname: 'WarmscaleHPAMetricUnavailable',
          exp_alerts: [firing('WarmscaleHPAMetricUnavailable', kept, '1')],
        },
      ],
    );
    assert.equal(unavailable.code, 0, unavailable.output);
    const active = await promtoolTest(
      [
        { series: condition('false'), values: '0x20' },
        { series: condition('true'), values: '1x20' },
      ],
      [{ eval_time: '15m', alertname: 'WarmscaleHPAMetricUnavailable', exp_alerts: [] }],
    );
    assert.equal(active.code, 0, active.output);
  });

  test('WarmscaleWarmupFailed fires for a pod with failed or timed-out steps or in the failed state, not for one that warmed up', async () => {
    const state = (pod: string, name: string, value: string) => ({
      series: app('warmscale_lifecycle_state', pod, { state: name }),
      values: value,
    });
    const failed = await promtoolTest(
      [
        { series: app('warmscale_warmup_steps_total', POD, { outcome: 'succeeded' }), values: '1x10' },
        { series: app('warmscale_warmup_steps_total', POD, { outcome: 'timed_out' }), values: '1x10' },
        state(POD, 'ready', '1x10'),
        state(POD, 'failed', '0x10'),
        { series: app('warmscale_warmup_steps_total', POD_B, { outcome: 'failed' }), values: '1x10' },
        state(POD_B, 'warming', '0x10'),
        state(POD_B, 'failed', '1x10'),
      ],
      [
        {
          eval_time: '5m',
          alertname: 'WarmscaleWarmupFailed',
          exp_alerts: [
            firing('WarmscaleWarmupFailed', { namespace: NAMESPACE, pod: POD }, '1'),
            firing('WarmscaleWarmupFailed', { namespace: NAMESPACE, pod: POD_B }, '1'),
          ],
        },
      ],
    );
    assert.equal(failed.code, 0, failed.output);
    const warmedUp = await promtoolTest(
      [
        { series: app('warmscale_warmup_steps_total', POD, { outcome: 'succeeded' }), values: '2x10' },
        state(POD, 'ready', '1x10'),
        state(POD, 'failed', '0x10'),
      ],
      [{ eval_time: '5m', alertname: 'WarmscaleWarmupFailed', exp_alerts: [] }],
    );
    assert.equal(warmedUp.code, 0, warmedUp.output);
  });

  test('WarmscaleRequestsAfterShutdown fires when a pod counted requests after SIGTERM, not when it counted none', async () => {
    const late = await promtoolTest(
      [{ series: app('warmscale_shutdown_requests_total', POD), values: '0x9 3' }],
      [
        { eval_time: '8m', alertname: 'WarmscaleRequestsAfterShutdown', exp_alerts: [] },
        {
          eval_time: '10m',
          alertname: 'WarmscaleRequestsAfterShutdown',
          // increase() over [10m]: 0 -> 3, not extrapolated below the counter's zero.
          exp_alerts: [firing('WarmscaleRequestsAfterShutdown', { namespace: NAMESPACE, pod: POD }, '3')],
        },
      ],
    );
    assert.equal(late.code, 0, late.output);
    const clean = await promtoolTest(
      [{ series: app('warmscale_shutdown_requests_total', POD), values: '0x20' }],
      [{ eval_time: '15m', alertname: 'WarmscaleRequestsAfterShutdown', exp_alerts: [] }],
    );
    assert.equal(clean.code, 0, clean.output);
  });

  test('WarmscaleRestartsDuringWarmup fires for an app container that restarted and is not ready, not once it is ready', async () => {
    const container = (name: string, pod: string, values: string) => ({
      series: ksm(name, { pod, container: 'app', uid: `uid-${pod}` }),
      values,
    });
    const looping = await promtoolTest(
      [
        container('kube_pod_container_status_restarts_total', POD, '0x3 1x4 2x10'),
        container('kube_pod_container_status_ready', POD, '0x20'),
        // Another Deployment's pod, restarting too: not this release's.
        container('kube_pod_container_status_restarts_total', 'checkout-5f7b9c8d4-m9n0p', '0x3 1x4 2x10'),
        container('kube_pod_container_status_ready', 'checkout-5f7b9c8d4-m9n0p', '0x20'),
      ],
      [
        { eval_time: '5m', alertname: 'WarmscaleRestartsDuringWarmup', exp_alerts: [] },
        {
          eval_time: '10m',
          alertname: 'WarmscaleRestartsDuringWarmup',
          exp_alerts: [
            firing(
              'WarmscaleRestartsDuringWarmup',
              { job: 'kube-state-metrics', namespace: NAMESPACE, pod: POD, container: 'app', uid: `uid-${POD}` },
              '2',
            ),
          ],
        },
      ],
    );
    assert.equal(looping.code, 0, looping.output);
    // One restart, then the pod warmed up and turned ready; and a pod still in its first warm-up, never restarted.
    const recovered = await promtoolTest(
      [
        container('kube_pod_container_status_restarts_total', POD, '0x3 1x20'),
        container('kube_pod_container_status_ready', POD, '0x4 1x20'),
        container('kube_pod_container_status_restarts_total', POD_B, '0x20'),
        container('kube_pod_container_status_ready', POD_B, '0x20'),
      ],
      [{ eval_time: '12m', alertname: 'WarmscaleRestartsDuringWarmup', exp_alerts: [] }],
    );
    assert.equal(recovered.code, 0, recovered.output);
  });

  test('a wrong expectation makes promtool fail, so the checks above are not vacuous', async () => {
    const result = await promtoolTest(
      [{ series: app('warmscale_shutdown_requests_total', POD), values: '0x20' }],
      [
        {
          eval_time: '15m',
          alertname: 'WarmscaleRequestsAfterShutdown',
          exp_alerts: [firing('WarmscaleRequestsAfterShutdown', { namespace: NAMESPACE, pod: POD }, '1')],
        },
      ],
    );
    assert.equal(result.code, 1);
    assert.match(result.output, /FAILED/);
  });

  test('with KEDA the HPA alerts select keda-hpa-<name>, and without an autoscaler they are left out', async () => {
    const keda = await renderChart({ ...RULE_VALUES, autoscaling: { enabled: false }, keda: { enabled: true } });
    const kedaRules: Rule[] = findObject(keda, 'PrometheusRule', FULLNAME).spec.groups[0].rules;
    assert.match(
      kedaRules.find((r) => r.alert === 'WarmscaleHPAMaxedOut')?.expr ?? '',
      new RegExp(`horizontalpodautoscaler="keda-hpa-${FULLNAME}"`),
    );
    const fixed = await renderChart({ ...RULE_VALUES, autoscaling: { enabled: false } });
    assert.deepEqual(
      findObject(fixed, 'PrometheusRule', FULLNAME).spec.groups[0].rules.map((r: Rule) => r.alert),
      ['WarmscaleWarmupFailed', 'WarmscaleRequestsAfterShutdown', 'WarmscaleRestartsDuringWarmup'],
    );
  });
});
