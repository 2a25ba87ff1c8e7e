// The Grafana dashboard ConfigMap: the sidecar's label, a dashboard per release, and every query written for this
// release's series. That each query returns data from a real Prometheus is test/e2e/dashboard-queries.test.ts.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { dashboard, panelQueries } from './dashboard.js';
import { FULLNAME, findObject, type K8sObject, NAMESPACE, renderChart } from './render.js';
import { validateObject } from './validate.js';

const SERIES = `namespace="${NAMESPACE}",service="${FULLNAME}"`;
const HPA = `namespace="${NAMESPACE}",horizontalpodautoscaler="${FULLNAME}"`;

describe('the Grafana dashboard ConfigMap', () => {
  let objects: K8sObject[];
  before(async () => {
    objects = await renderChart({ grafanaDashboard: { enabled: true } });
  });

  test('carries the sidecar label grafana_dashboard: "1" and one dashboard file named after the release', () => {
    const configMap = findObject(objects, 'ConfigMap', `${FULLNAME}-dashboard`);
    assert.equal(configMap.metadata.labels?.grafana_dashboard, '1');
    assert.deepEqual(Object.keys(configMap.data ?? {}), [`${FULLNAME}.json`]);
    validateObject(configMap);
  });

  test('the label, its value, extra labels and annotations are configurable', async () => {
    const configured = await renderChart({
      grafanaDashboard: {
        enabled: true,
        label: 'grafana.example.com/dashboard',
        labelValue: 'yes',
        additionalLabels: { team: 'shop' },
        annotations: { grafana_folder: 'Shop' },
      },
    });
    const configMap = findObject(configured, 'ConfigMap', `${FULLNAME}-dashboard`);
    assert.equal(configMap.metadata.labels?.['grafana.example.com/dashboard'], 'yes');
    assert.equal(configMap.metadata.labels?.grafana_dashboard, undefined);
    assert.equal(configMap.metadata.labels?.team, 'shop');
    assert.deepEqual(configMap.metadata.annotations, { grafana_folder: 'Shop' });
  });

  test('is a dashboard of its own per release, on a Prometheus data source chosen by variable', () => {
    const board = dashboard(objects);
    assert.equal(board.title, `warmscale / ${NAMESPACE} / ${FULLNAME}`);
    assert.match(board.uid, /^warmscale-[0-9a-f]{24}$/);
    assert.ok(board.uid.length <= 40, 'Grafana uids have at most 40 characters');
    assert.deepEqual(
      board.templating.list.map((v: { name: string; type: string; query: string }) => [v.name, v.type, v.query]),
      [['datasource', 'datasource', 'prometheus']],
    );
    for (const panel of board.panels) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
      assert.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, panel.title);
      assert.ok(panel.targets.length > 0, panel.title);
    }
  });

  test('shows QPS against the HPA target, replicas, scale events, lifecycle, warm-up, latency, shed and failed requests', () => {
    assert.deepEqual(
      dashboard(objects).panels.map((panel: { title: string }) => panel.title),
      [
        'Per-pod QPS vs HPA target',
        'Replicas',
        'Scale events',
        'Lifecycle states',
        'Warm-up duration',
        'Warm-up steps by outcome',
        'Latency quantiles',
        'Shed and failed requests',
        'Requests after the shutdown signal',
      ],
    );
  });

  test("every query selects this release's series or its HPA, with the adapter's rate window, and no placeholder is left", () => {
    const queries = panelQueries(objects);
    assert.equal(queries.length, 16);
    for (const { panel, expr } of queries) {
      assert.ok(expr.includes(`{${SERIES}`) || expr.includes(`{${HPA}`), `${panel}: ${expr}`);
      assert.doesNotMatch(expr, /__[A-Z]+__/, panel);
      for (const window of expr.matchAll(/\[([^\]]+)\]/g)) assert.equal(window[1], '1m', `${panel}: ${expr}`);
    }
    assert.deepEqual(
      queries.filter((q) => q.panel === 'Per-pod QPS vs HPA target').map((q) => q.expr),
      [
        `sum by (pod) (rate(httpserver_requests_total{${SERIES}}[1m]))`,
        `avg(sum by (pod) (rate(httpserver_requests_total{${SERIES}}[1m])))`,
        `max(kube_horizontalpodautoscaler_spec_target_metric{${HPA},metric_target_type="average"})`,
      ],
    );
  });

  test('with KEDA the HPA panels read keda-hpa-<name>, and a custom counter name reaches the QPS queries', async () => {
    const keda = await renderChart({
      grafanaDashboard: { enabled: true },
      autoscaling: { enabled: false },
      keda: { enabled: true },
      metrics: { counterName: 'shop_http_requests_total' },
    });
    const queries = panelQueries(keda);
    assert.ok(queries.some((q) => q.expr.includes(`horizontalpodautoscaler="keda-hpa-${FULLNAME}"`)));
    assert.ok(queries.every((q) => !q.expr.includes(`horizontalpodautoscaler="${FULLNAME}"`)));
    assert.equal(queries[0]?.expr, `sum by (pod) (rate(shop_http_requests_total{${SERIES}}[1m]))`);
  });
});
