import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decideReplicas, type HorizontalPodAutoscalerManifest } from '@warmscale/hpa-sim';
import {
  type AdapterRule,
  adapterMetricName,
  adapterRule,
  rateWindows,
  renderMetricsQuery,
  seriesName,
} from '../chart/adapter.js';
import {
  deployment,
  durationSeconds,
  FULLNAME,
  findObject,
  hpa,
  type K8sObject,
  NAMESPACE,
  renderChart,
} from '../chart/render.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { get, sleep, waitForStatus } from '../support/http.js';
import { type InstantSample, type RunningPrometheus, startPrometheus } from '../support/prometheus.js';
import { completedBetween, type PacedLoad, type PacedLoadSummary, startPacedLoad } from './paced-load.js';

// The chart rendered with a short scrape interval and rate window, in the same 1:10 ratio, so that the rate() window
// fills in seconds instead of minutes. Everything else (rule shape, HPA, labels) is the chart's default.
const E2E_VALUES = { serviceMonitor: { interval: '2s' }, adapterRule: { rateWindow: '20s' } };
// A per-pod target below the average QPS driven here, for the scale-up decision.
const LOW_TARGET_VALUES = { ...E2E_VALUES, autoscaling: { targetQPSPerPod: 20 } };

/** One demo replica: its pod name (the ServiceMonitor's `pod` label), its paced rate and the paths it is sent. */
interface ReplicaPlan {
  readonly pod: string;
  readonly ratePerSecond: number;
  readonly paths: readonly string[];
}

const REPLICAS: readonly ReplicaPlan[] = [
  { pod: `${FULLNAME}-6d4cf56db6-q7x2k`, ratePerSecond: 30, paths: ['/hello'] },
  { pod: `${FULLNAME}-6d4cf56db6-w9m4t`, ratePerSecond: 60, paths: ['/hello', '/catalog/search?q=shoe', '/work?ms=2'] },
  // Idle during the measurement: it served a few requests first, so its counter series exists and rate() is 0.
  { pod: `${FULLNAME}-6d4cf56db6-z3n8p`, ratePerSecond: 0, paths: ['/hello'] },
];
const IDLE_REQUESTS = 5;
const PODS = REPLICAS.map((replica) => replica.pod);

// Kubelet-like probes: a new connection per probe, as the kubelet's HTTP prober makes them, at a rate high enough
// that counting them would move every pod's QPS far beyond the 10% tolerance.
const PROBE_PATHS = ['/startupz', '/readyz', '/livez'];
const PROBES_PER_SECOND = 30;
const PROBE_HEADERS = { 'user-agent': 'kube-probe/1.33', accept: '*/*' };
// Bounds every stream if teardown never runs.
const MAX_STREAM_MS = 150_000;

/** The ServiceMonitor's only endpoint. */
function serviceMonitorEndpoint(objects: readonly K8sObject[]): { port: string; path: string; interval: string } {
  const endpoint = findObject(objects, 'ServiceMonitor', FULLNAME).spec.endpoints[0];
  assert.ok(endpoint, 'the ServiceMonitor has an endpoint');
  return endpoint;
}

/** The HPA as hpa-sim reads it. */
function hpaManifest(objects: readonly K8sObject[]): HorizontalPodAutoscalerManifest {
  return hpa(objects) as unknown as HorizontalPodAutoscalerManifest;
}

/**
 * The value prometheus-adapter serves for a PromQL sample: `resource.NewMilliQuantity(int64(v*1000), DecimalSI)`
 * (truncated toward zero, NaN as 0), written as the quantity's canonical string (`"29950m"`, `"30"`, `"0"`).
 */
function adapterQuantity(value: number): string {
  const milli = Number.isNaN(value) ? 0 : Math.trunc(value * 1000);
  if (milli % 1000 !== 0) return `${milli}m`;
  let units = milli / 1000;
  let suffix = 0;
  while (units !== 0 && units % 1000 === 0 && suffix < 6) {
    units /= 1000;
    suffix += 1;
  }
  return `${units}${['', 'k', 'M', 'G', 'T', 'P', 'E'][suffix]}`;
}

/** Milli-units of a canonical quantity string as `adapterQuantity` writes it (`"29950m"`, `"30"`, `"2k"`). */
function milliOf(quantity: string): number {
  const match = /^(\d+)(m|k|M|G|T|P|E)?$/.exec(quantity);
  assert.ok(match, `a canonical quantity: ${quantity}`);
  const scale = { m: 1, '': 1e3, k: 1e6, M: 1e9, G: 1e12, T: 1e15, P: 1e18, E: 1e21 }[match[2] ?? ''] as number;
  return Number(match[1]) * scale;
}

/**
 * The controller's proposal for a Pods metric with an AverageValue target when every pod is ready and has a sample
 * (replica_calculator.go, GetMetricReplicas -> calcPlainMetricReplicas): the usage is the integer average of the
 * milli-values, the ratio to the target is compared with the 0.1 tolerance, and outside it the proposal is
 * ceil(ratio x pods).
 */
function upstreamReplicas(samplesMilli: readonly number[], targetMilli: number, currentReplicas: number): number {
  const tolerance = 0.1;
  const usage = Math.floor(samplesMilli.reduce((sum, value) => sum + value, 0) / samplesMilli.length);
  const ratio = usage / targetMilli;
  if (1 - tolerance <= ratio && ratio <= 1 + tolerance) return currentReplicas;
  return Math.ceil(ratio * samplesMilli.length);
}

function sortedKeys(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

describe('a real Prometheus turns the demo counter into per-pod QPS that the chart HPA scales on', () => {
  let objects: K8sObject[];
  let defaultObjects: K8sObject[];
  let lowTargetObjects: K8sObject[];
  let rule: AdapterRule;
  let windowSeconds: number;
  let scrapeSeconds: number;
  const demos: DemoProcess[] = [];
  let prometheus: RunningPrometheus | undefined;
  const streams: Array<{ pod: string; kind: 'probe' | 'load'; stream: PacedLoad }> = [];
  /** By pod: what the paced sender and the prober delivered. */
  const sent = new Map<string, PacedLoadSummary>();
  const probed = new Map<string, PacedLoadSummary>();
  let metricsQuery: string;
  let qps: InstantSample[];
  let evaluatedAtMs: number;
  let discovered: Array<Record<string, string>>;

  before(
    async () => {
      [objects, defaultObjects, lowTargetObjects] = await Promise.all([
        renderChart(E2E_VALUES),
        renderChart(),
        renderChart(LOW_TARGET_VALUES),
      ]);
      rule = adapterRule(objects);
      const endpoint = serviceMonitorEndpoint(objects);
      scrapeSeconds = durationSeconds(endpoint.interval);
      windowSeconds = durationSeconds(rateWindows(rule.metricsQuery)[0] ?? 'missing');

      // Each replica carries its pod identity as the kubelet would give it (HOSTNAME); its shutdown delay is zeroed
      // so teardown is quick.
      const started = await Promise.allSettled(
        REPLICAS.map((replica) =>
          startDemo({ WARMSCALE_WARMUP_ENABLED: 'true', HOSTNAME: replica.pod, WARMSCALE_SHUTDOWN_DELAY_MS: '0' }),
        ),
      );
      for (const result of started) if (result.status === 'fulfilled') demos.push(result.value);
      const failed = started.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      await Promise.all(demos.map((demo) => waitForStatus(`${demo.url}/readyz`, 200, 60_000)));

      const container = deployment(objects).spec.template.spec.containers[0].name as string;
      prometheus = await startPrometheus({
        scrapeIntervalSeconds: scrapeSeconds,
        metricsPath: endpoint.path,
        jobName: `serviceMonitor/${NAMESPACE}/${FULLNAME}/0`,
        // The labels the Prometheus operator's relabelling gives a ServiceMonitor endpoint's targets.
        targets: demos.map((demo, index) => ({
          url: demo.url,
          labels: {
            namespace: NAMESPACE,
            pod: PODS[index] as string,
            service: FULLNAME,
            job: FULLNAME,
            container,
            endpoint: endpoint.port,
          },
        })),
      });

      demos.forEach((demo, index) => {
        const probe = startPacedLoad({
          baseUrl: demo.url,
          paths: PROBE_PATHS,
          ratePerSecond: PROBES_PER_SECOND,
          headers: PROBE_HEADERS,
          keepAlive: false,
          maxMs: MAX_STREAM_MS,
        });
        streams.push({ pod: PODS[index] as string, kind: 'probe', stream: probe });
      });
      const idle = demos[2] as DemoProcess;
      const agent = new Agent({ keepAlive: true });
      for (let i = 0; i < IDLE_REQUESTS; i++) assert.equal((await get(`${idle.url}/hello`, agent)).status, 200);
      agent.destroy();

      const loadStartedAt = Date.now();
      demos.forEach((demo, index) => {
        const plan = REPLICAS[index] as ReplicaPlan;
        if (plan.ratePerSecond === 0) return;
        const load = startPacedLoad({
          baseUrl: demo.url,
          paths: plan.paths,
          ratePerSecond: plan.ratePerSecond,
          maxMs: MAX_STREAM_MS,
        });
        streams.push({ pod: plan.pod, kind: 'load', stream: load });
      });

      // The rate() window must lie entirely after the load started, with a few scrapes of margin.
      await sleep((windowSeconds + 3 * scrapeSeconds) * 1000 - (Date.now() - loadStartedAt));
      metricsQuery = renderMetricsQuery(rule, NAMESPACE, PODS);
      qps = await prometheus.query(metricsQuery);
      evaluatedAtMs = (qps[0]?.timestamp ?? Date.now() / 1000) * 1000;
      discovered = await prometheus.series(rule.seriesQuery);
      for (const { pod, kind, stream } of streams) (kind === 'probe' ? probed : sent).set(pod, await stream.stop());
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await Promise.all(streams.map(({ stream }) => stream.stop()));
    await prometheus?.stop();
    await Promise.all(demos.map((demo) => demo.stop()));
  });

  /** The QPS Prometheus computed for `pod` with the adapter's query. */
  function qpsOf(pod: string): number {
    const sample = qps.find((item) => item.metric.pod === pod);
    assert.ok(sample, `the adapter query returned a sample for ${pod}`);
    return sample.value;
  }

  /** Requests per second actually delivered to `pod` in the query's rate() window. */
  function sentRateOf(pod: string): number {
    const summary = sent.get(pod);
    assert.ok(summary, `a paced load ran against ${pod}`);
    return completedBetween(summary, evaluatedAtMs - windowSeconds * 1000, evaluatedAtMs) / windowSeconds;
  }

  /** The per-pod values as the adapter serves them to the HPA (pods without a sample are left out, as it does). */
  function adapterValues(): Record<string, string> {
    return Object.fromEntries(qps.map((sample) => [sample.metric.pod as string, adapterQuantity(sample.value)]));
  }

  test('the chart scrapes every 2s and renders the default adapter rule with a 20s rate window', async () => {
    const endpoint = serviceMonitorEndpoint(objects);
    assert.deepEqual(endpoint, { port: 'http', path: '/metrics', interval: '2s', scheme: 'http' });
    const defaultRule = adapterRule(defaultObjects);
    assert.deepEqual(rule, { ...defaultRule, metricsQuery: defaultRule.metricsQuery.replace('[1m]', '[20s]') });
    assert.deepEqual(rule, {
      seriesQuery: 'httpserver_requests_total{namespace!="",pod!=""}',
      resources: { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Go regexp expansion syntax of the adapter, not a JS template.
      name: { matches: '^(.*)_total$', as: '${1}_qps' },
      metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[20s])) by (<<.GroupBy>>)',
    });
    const config = JSON.parse(await readFile((prometheus as RunningPrometheus).configPath, 'utf8'));
    assert.equal(config.global.scrape_interval, '2s');
  });

  test('Prometheus scrapes each replica with the namespace and pod labels the ServiceMonitor gives it', async () => {
    const targets = await (prometheus as RunningPrometheus).activeTargets();
    assert.deepEqual(
      targets
        .map((target) => ({ health: target.health, labels: sortedKeys(target.labels) }))
        .sort((a, b) => String(a.labels.pod).localeCompare(String(b.labels.pod))),
      demos.map((demo, index) => ({
        health: 'up',
        labels: {
          container: deployment(objects).spec.template.spec.containers[0].name,
          endpoint: 'http',
          instance: `127.0.0.1:${demo.port}`,
          job: FULLNAME,
          namespace: NAMESPACE,
          pod: PODS[index],
          service: FULLNAME,
        },
      })),
    );
  });

  test('the seriesQuery discovers one counter per pod, served as the HPA metric httpserver_requests_qps', () => {
    assert.deepEqual([...new Set(discovered.map((labels) => labels.__name__))], ['httpserver_requests_total']);
    assert.deepEqual([...new Set(discovered.map((labels) => labels.pod))].sort(), [...PODS].sort());
    assert.deepEqual([...new Set(discovered.map((labels) => labels.namespace))], [NAMESPACE]);
    const metric = adapterMetricName(rule, seriesName(rule));
    assert.equal(metric, 'httpserver_requests_qps');
    assert.deepEqual(hpa(objects).spec.metrics, [
      { type: 'Pods', pods: { metric: { name: metric }, target: { type: 'AverageValue', averageValue: '50' } } },
    ]);
  });

  test("the adapter's pods/* query returns each driven pod's QPS within 10% of the rate sent", (t) => {
    assert.equal(
      metricsQuery,
      `sum(rate(httpserver_requests_total{namespace="${NAMESPACE}",pod=~"${PODS.join('|')}"}[20s])) by (pod)`,
    );
    assert.deepEqual(
      qps.map((sample) => sample.metric).sort((a, b) => String(a.pod).localeCompare(String(b.pod))),
      [...PODS.map((pod) => ({ pod }))],
    );
    for (const plan of REPLICAS.filter((replica) => replica.ratePerSecond > 0)) {
      const summary = sent.get(plan.pod);
      assert.ok(summary);
      assert.deepEqual(
        { errors: summary.errors, statuses: summary.statuses },
        { errors: 0, statuses: { 200: summary.sent } },
      );
      const measured = qpsOf(plan.pod);
      const delivered = sentRateOf(plan.pod);
      t.diagnostic(
        `${plan.pod}: paced ${plan.ratePerSecond}/s, delivered ${delivered.toFixed(2)}/s in the window, ` +
          `Prometheus ${measured.toFixed(3)}/s (${summary.sent} requests over ${summary.connections} connections)`,
      );
      assert.ok(delivered > 0, `requests reached ${plan.pod} in the rate() window`);
      assert.ok(
        Math.abs(measured - delivered) <= 0.1 * delivered,
        `${plan.pod}: Prometheus ${measured} q/s is within 10% of the ${delivered} q/s sent`,
      );
    }
  });

  test('probe and scrape traffic is not counted: the probed idle pod has 0 QPS and no probe route has a series', (t) => {
    for (const [index, pod] of PODS.entries()) {
      const summary = probed.get(pod);
      assert.ok(summary, `${pod} was probed`);
      assert.deepEqual(
        { errors: summary.errors, statuses: summary.statuses },
        { errors: 0, statuses: { 200: summary.sent } },
      );
      const inWindow = completedBetween(summary, evaluatedAtMs - windowSeconds * 1000, evaluatedAtMs) / windowSeconds;
      t.diagnostic(`${pod}: ${inWindow.toFixed(2)} probes/s in the window, ${summary.connections} connections`);
      // Counted probes would add more than the 10% tolerance of the rate sent.
      const driven = (REPLICAS[index] as ReplicaPlan).ratePerSecond;
      assert.ok(inWindow > 0.1 * driven && inWindow > 0, `${pod} was probed enough to show in its QPS`);
    }
    t.diagnostic(`${PODS[2]}: Prometheus ${qpsOf(PODS[2] as string)}/s`);
    assert.equal(qpsOf(PODS[2] as string), 0);
    // A pod scraped before it counted its first response showed the zero series of an idle pod (GET __unmatched__
    // 404, see idle-pod.test.ts); this traffic sends no unmatched request, so that series is only ever that one.
    const counted = discovered
      .map((labels) => `${labels.pod} ${labels.method} ${labels.route} ${labels.status}`)
      .filter((series) => !series.endsWith(' GET __unmatched__ 404'))
      .sort();
    assert.deepEqual(counted, [
      `${PODS[0]} GET /hello 200`,
      `${PODS[1]} GET /catalog/search 200`,
      `${PODS[1]} GET /hello 200`,
      `${PODS[1]} GET /work 200`,
      `${PODS[2]} GET /hello 200`,
    ]);
  });

  test('hpa-sim decides from the adapter values what the upstream formula gives, once the scale-down window passes', (t) => {
    const values = adapterValues();
    const milli = PODS.map((pod) => milliOf(values[pod] as string));
    assert.deepEqual(
      milli,
      PODS.map((pod) => Math.trunc(qpsOf(pod) * 1000)),
    );
    const manifest = hpaManifest(objects);
    const targetMilli = milliOf(hpa(objects).spec.metrics[0].pods.target.averageValue);
    const expected = upstreamReplicas(milli, targetMilli, PODS.length);
    t.diagnostic(`adapter values ${JSON.stringify(values)}; upstream formula: ${expected} replicas`);
    // An average of about 30 q/s against 50 is a ratio of about 0.6: ceil(0.6 x 3) = 2.
    assert.equal(expected, 2);
    const metrics = { pods: { httpserver_requests_qps: values } };
    const first = decideReplicas({ hpa: manifest, currentReplicas: PODS.length, metrics, now: 0 });
    assert.equal(first.error, null);
    assert.equal(first.metricDesiredReplicas, expected);
    assert.deepEqual(first.metrics[0]?.current, {
      averageValue: Math.floor(milli.reduce((sum, value) => sum + value, 0) / milli.length),
    });
    // The first sync seeds the 300s scale-down window with the current count, which holds the replicas at 3.
    assert.equal(first.desiredReplicas, PODS.length);
    const windowEnd = hpa(objects).spec.behavior.scaleDown.stabilizationWindowSeconds as number;
    assert.equal(windowEnd, 300);
    const later = decideReplicas({
      hpa: manifest,
      currentReplicas: PODS.length,
      metrics,
      now: windowEnd + 15,
      state: first.state,
    });
    assert.equal(later.desiredReplicas, expected);
    assert.equal(later.rescale, true);
  });

  test('with a 20 q/s per-pod target the same adapter values scale up at once to the upstream formula', (t) => {
    const values = adapterValues();
    const milli = PODS.map((pod) => milliOf(values[pod] as string));
    const targetMilli = milliOf(hpa(lowTargetObjects).spec.metrics[0].pods.target.averageValue);
    assert.equal(targetMilli, 20_000);
    const expected = upstreamReplicas(milli, targetMilli, PODS.length);
    t.diagnostic(`upstream formula with a 20 q/s target: ${expected} replicas`);
    // About 30 q/s against 20 is a ratio of about 1.5: ceil(1.5 x 3) = 5, within the +4 pods / +100% per 60s limit.
    assert.equal(expected, 5);
    const decision = decideReplicas({
      hpa: hpaManifest(lowTargetObjects),
      currentReplicas: PODS.length,
      metrics: { pods: { httpserver_requests_qps: values } },
    });
    assert.equal(decision.metricDesiredReplicas, expected);
    assert.equal(decision.desiredReplicas, expected);
    assert.equal(decision.rescale, true);
  });
});
