// Every query of the chart's Grafana dashboard, run against a real Prometheus that scrapes two replicas of a service
// built on the middleware, must return data. The kube_horizontalpodautoscaler_* series come from kube-state-metrics in a
// cluster; here a tiny exposition target serves them in kube-state-metrics' names and labels, with the HPA's spec as
// the chart renders it, current replicas = the replicas running, and desired replicas = what hpa-sim decides from the
// per-pod QPS Prometheus computes with the adapter's query (so the scale-event panel sees a real decision change).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decideReplicas, type HorizontalPodAutoscalerManifest } from '@warmscale/hpa-sim';
import { adapterRule, renderMetricsQuery } from '../chart/adapter.js';
import { type PanelQuery, panelQueries } from '../chart/dashboard.js';
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
import { sleep, waitForStatus } from '../support/http.js';
import { type InstantSample, type RunningPrometheus, startPrometheus } from '../support/prometheus.js';
import { type PacedLoad, startPacedLoad } from './paced-load.js';

// A 2 s scrape and a 20 s rate window, as in the QPS-chain suite, so the window fills in seconds; and a per-pod target
// low enough that the traffic below makes the HPA scale up.
const VALUES = {
  serviceMonitor: { interval: '2s' },
  adapterRule: { rateWindow: '20s' },
  autoscaling: { targetQPSPerPod: 5 },
  grafanaDashboard: { enabled: true },
};
const APP = fileURLToPath(new URL('../fixtures/dashboard-app.js', import.meta.url));
const PODS = [`${FULLNAME}-6d4cf56db6-h4k2m`, `${FULLNAME}-6d4cf56db6-p8r5t`];
// 12 requests/s per replica: 6 answered 200, 2 each 500, 503 and 429.
const PATHS = [
  '/orders',
  '/orders',
  '/orders',
  '/fail',
  '/orders',
  '/shed',
  '/orders',
  '/limited',
  '/orders',
  '/fail',
  '/shed',
  '/limited',
];
const RATE = 12;

/** The HPA's kube-state-metrics series, as kube-state-metrics names and labels them. */
class KubeStateMetrics {
  desired: number;
  private server: Server | undefined;

  constructor(
    private readonly hpa: K8sObject,
    private readonly current: number,
  ) {
    this.desired = current;
  }

  exposition(): string {
    const labels = `namespace="${this.hpa.metadata.namespace}",horizontalpodautoscaler="${this.hpa.metadata.name}"`;
    const metric = this.hpa.spec.metrics[0].pods;
    const gauges: Array<[string, string, number]> = [
      ['kube_horizontalpodautoscaler_spec_max_replicas', labels, this.hpa.spec.maxReplicas],
      ['kube_horizontalpodautoscaler_spec_min_replicas', labels, this.hpa.spec.minReplicas],
      [
        'kube_horizontalpodautoscaler_spec_target_metric',
        `${labels},metric_name="${metric.metric.name}",metric_target_type="average"`,
        Number(metric.target.averageValue),
      ],
      ['kube_horizontalpodautoscaler_status_current_replicas', labels, this.current],
      ['kube_horizontalpodautoscaler_status_desired_replicas', labels, this.desired],
    ];
    return gauges.map(([name, set, value]) => `# TYPE ${name} gauge\n${name}{${set}} ${value}\n`).join('');
  }

  async start(): Promise<string> {
    this.server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(this.exposition());
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}

describe("the dashboard's queries return data from a real Prometheus", () => {
  let objects: K8sObject[];
  let queries: PanelQuery[];
  const apps: DemoProcess[] = [];
  const loads: PacedLoad[] = [];
  let ksm: KubeStateMetrics;
  let prometheus: RunningPrometheus | undefined;
  let decided: number;
  const results = new Map<string, InstantSample[]>();

  before(
    async () => {
      objects = await renderChart(VALUES);
      queries = panelQueries(objects);
      const scrapeSeconds = durationSeconds(findObject(objects, 'ServiceMonitor', FULLNAME).spec.endpoints[0].interval);
      const windowSeconds = durationSeconds('20s');
      for (const pod of PODS) {
        apps.push(await startDemo({ HOSTNAME: pod, WARMSCALE_SHUTDOWN_DELAY_MS: '0' }, APP));
      }
      await Promise.all(apps.map((app) => waitForStatus(`${app.url}/readyz`, 200, 30_000)));
      ksm = new KubeStateMetrics(hpa(objects), PODS.length);
      const ksmUrl = await ksm.start();
      const container = deployment(objects).spec.template.spec.containers[0].name as string;
      prometheus = await startPrometheus({
        scrapeIntervalSeconds: scrapeSeconds,
        jobName: `serviceMonitor/${NAMESPACE}/${FULLNAME}/0`,
        targets: [
          // The ServiceMonitor's relabelling gives each pod these labels.
          ...apps.map((app, i) => ({
            url: app.url,
            labels: {
              namespace: NAMESPACE,
              pod: PODS[i] as string,
              service: FULLNAME,
              job: FULLNAME,
              container,
              endpoint: 'http',
            },
          })),
          // kube-state-metrics' own series carry the object's namespace; its target adds only the job.
          { url: ksmUrl, labels: { job: 'kube-state-metrics' } },
        ],
      });
      for (const app of apps) {
        loads.push(startPacedLoad({ baseUrl: app.url, paths: PATHS, ratePerSecond: RATE, maxMs: 120_000 }));
      }
      await sleep((windowSeconds + 3 * scrapeSeconds) * 1000);

      // The HPA's decision on the adapter's values for these pods, as the controller makes it.
      const perPod = await prometheus.query(renderMetricsQuery(adapterRule(objects), NAMESPACE, PODS));
      const values = Object.fromEntries(perPod.map((s) => [s.metric.pod as string, Math.trunc(s.value * 1000)]));
      const decision = decideReplicas({
        hpa: hpa(objects) as unknown as HorizontalPodAutoscalerManifest,
        currentReplicas: PODS.length,
        metrics: { pods: { httpserver_requests_qps: values } },
      });
      decided = decision.desiredReplicas;
      ksm.desired = decided;
      await sleep(3 * scrapeSeconds * 1000);
      for (const query of queries) results.set(`${query.panel}/${query.refId}`, await prometheus.query(query.expr));
    },
    { timeout: 120_000 },
  );

  after(async () => {
    await Promise.all(loads.map((load) => load.stop()));
    await prometheus?.stop();
    await ksm?.stop();
    await Promise.all(apps.map((app) => app.stop()));
  });

  function result(panel: string, refId = 'A'): InstantSample[] {
    const samples = results.get(`${panel}/${refId}`);
    assert.ok(samples, `${panel}/${refId} was queried`);
    return samples;
  }

  test('every panel query returns at least one finite sample', (t) => {
    assert.equal(queries.length, 16);
    for (const query of queries) {
      const samples = result(query.panel, query.refId);
      t.diagnostic(
        `${query.panel} ${query.refId}: ${samples.map((s) => `${JSON.stringify(s.metric)} ${s.value}`).join('; ')}`,
      );
      assert.ok(samples.length > 0, `${query.panel} ${query.refId} returned no data: ${query.expr}`);
      for (const sample of samples)
        assert.ok(Number.isFinite(sample.value), `${query.panel} ${query.refId}: ${sample.value}`);
    }
  });

  test('per-pod QPS has one series per pod, and the HPA target is the chart’s 5 requests/s', () => {
    assert.deepEqual(
      result('Per-pod QPS vs HPA target')
        .map((s) => s.metric.pod)
        .sort(),
      [...PODS].sort(),
    );
    assert.deepEqual(
      result('Per-pod QPS vs HPA target', 'C').map((s) => s.value),
      [5],
    );
  });

  test('replicas: desired is the hpa-sim decision, current the running replicas, bounds from the HPA spec; a scale event shows', () => {
    assert.ok(decided > PODS.length, `the HPA scales up (decided ${decided})`);
    assert.deepEqual(
      ['A', 'B', 'C', 'D'].map((refId) => result('Replicas', refId).map((s) => s.value)),
      [[decided], [PODS.length], [2], [10]],
    );
    assert.deepEqual(
      result('Scale events').map((s) => s.value),
      [1],
    );
  });

  test('lifecycle states count both pods ready, and warm-up steps count a success and a failure per pod', () => {
    const states = Object.fromEntries(result('Lifecycle states').map((s) => [s.metric.state, s.value]));
    assert.equal(states.ready, 2);
    assert.equal(states.failed, 0);
    assert.deepEqual(Object.fromEntries(result('Warm-up steps by outcome').map((s) => [s.metric.outcome, s.value])), {
      failed: 2,
      succeeded: 2,
    });
    assert.deepEqual(
      result('Warm-up duration')
        .map((s) => s.metric.pod)
        .sort(),
      [...PODS].sort(),
    );
  });

  test('shed and failed requests are split by status 429, 500 and 503; latency quantiles are ordered', () => {
    assert.deepEqual(
      result('Shed and failed requests')
        .map((s) => s.metric.status)
        .sort(),
      ['429', '500', '503'],
    );
    const [p50, p90, p99] = ['A', 'B', 'C'].map((refId) => result('Latency quantiles', refId)[0]?.value as number);
    assert.ok((p50 as number) <= (p90 as number) && (p90 as number) <= (p99 as number), `${p50} <= ${p90} <= ${p99}`);
    assert.deepEqual(
      result('Requests after the shutdown signal').map((s) => s.value),
      [0, 0],
    );
  });
});
