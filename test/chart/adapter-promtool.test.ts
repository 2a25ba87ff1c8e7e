import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AdapterRule, adapterRule, renderMetricsQuery } from './adapter.js';
import { promtoolPath, run } from './helm.js';
import { FULLNAME, NAMESPACE, renderChart } from './render.js';

const SCRAPE_SECONDS = 15;
const POD_A = `${FULLNAME}-6d4cf56db6-a1b2c`;
const POD_B = `${FULLNAME}-6d4cf56db6-d3e4f`;
const POD_C = `${FULLNAME}-6d4cf56db6-g5h6i`;
const POD_NEW = `${FULLNAME}-6d4cf56db6-j7k8l`;
const OTHER_POD = 'checkout-5f7b9c8d4-m9n0p';

/** A scraped series of the app's counter, with the labels the ServiceMonitor's relabelling adds. */
function series(namespace: string, pod: string, route: string, status = '200'): string {
  return `httpserver_requests_total{namespace="${namespace}",pod="${pod}",service="${FULLNAME}",job="${FULLNAME}",method="GET",route="${route}",status="${status}"}`;
}

/** promtool's expanding notation for a counter growing by `perSecond` q/s, one sample per scrape, `count` increments. */
function growing(start: number, perSecond: number, count: number): string {
  return `${start}+${perSecond * SCRAPE_SECONDS}x${count}`;
}

/** Input series: known per-pod rates, plus pods and namespaces the adapter's query must leave out. */
const INPUT_SERIES = [
  // POD_A: 6 q/s on /hello + 3.5 q/s on /work + 0.5 q/s of 500s = 10 q/s.
  { series: series(NAMESPACE, POD_A, '/hello'), values: growing(0, 6, 40) },
  { series: series(NAMESPACE, POD_A, '/work'), values: growing(0, 3.5, 40) },
  { series: series(NAMESPACE, POD_A, '/work', '500'), values: growing(0, 0.5, 40) },
  // POD_B: 2.5 q/s, and its container restarted at 5m15s (the counter starts over): rate() counts across the reset.
  { series: series(NAMESPACE, POD_B, '/hello'), values: `${growing(0, 2.5, 20)} ${growing(37.5, 2.5, 19)}` },
  // POD_C: idle since it started.
  { series: series(NAMESPACE, POD_C, '/hello'), values: '4x40' },
  // POD_NEW: first scraped at 10m; rate() needs two samples, so the adapter returns nothing for it yet.
  { series: series(NAMESPACE, POD_NEW, '/hello'), values: '_x39 3' },
  // Another Deployment's pod in the same namespace, and a same-named pod in another namespace: never selected.
  { series: series(NAMESPACE, OTHER_POD, '/hello'), values: growing(0, 100, 40) },
  { series: series('staging', POD_A, '/hello'), values: growing(0, 50, 40) },
];

describe('the adapter metricsQuery, rendered as prometheus-adapter does for pods/* and run by promtool', () => {
  let promtool: string;
  let rule: AdapterRule;
  let dir: string;

  before(async () => {
    promtool = await promtoolPath();
    rule = adapterRule(await renderChart());
    dir = await mkdtemp(join(tmpdir(), 'warmscale-promtool-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `promtool test rules` over one test group evaluating `tests` against INPUT_SERIES; returns its output. */
  async function promtoolTest(tests: unknown[]): Promise<{ code: number; output: string }> {
    const file = join(dir, `test-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
    const content = {
      evaluation_interval: `${SCRAPE_SECONDS}s`,
      tests: [{ interval: `${SCRAPE_SECONDS}s`, input_series: INPUT_SERIES, promql_expr_test: tests }],
    };
    // JSON is YAML, and needs no quoting rules for the PromQL inside.
    await writeFile(file, JSON.stringify(content, null, 2));
    const result = await run(promtool, ['test', 'rules', file]);
    return { code: result.code, output: result.stdout + result.stderr };
  }

  test('the rendered query selects the namespace and the listed pods and groups by pod', () => {
    assert.equal(
      renderMetricsQuery(rule, NAMESPACE, [POD_A, POD_B]),
      `sum(rate(httpserver_requests_total{namespace="${NAMESPACE}",pod=~"${POD_A}|${POD_B}"}[1m])) by (pod)`,
    );
    assert.equal(
      renderMetricsQuery(rule, NAMESPACE, [POD_A]),
      `sum(rate(httpserver_requests_total{namespace="${NAMESPACE}",pod="${POD_A}"}[1m])) by (pod)`,
    );
  });

  test('it returns each pod its own QPS summed over routes and statuses, and nothing for a pod scraped once', async () => {
    const { code, output } = await promtoolTest([
      {
        expr: renderMetricsQuery(rule, NAMESPACE, [POD_A, POD_B, POD_C, POD_NEW]),
        eval_time: '10m',
        exp_samples: [
          { labels: `{pod="${POD_A}"}`, value: 10 },
          { labels: `{pod="${POD_B}"}`, value: 2.5 },
          { labels: `{pod="${POD_C}"}`, value: 0 },
        ],
      },
    ]);
    assert.equal(code, 0, output);
  });

  test('it counts across a counter reset inside the rate window', async () => {
    const { code, output } = await promtoolTest([
      {
        expr: renderMetricsQuery(rule, NAMESPACE, [POD_B]),
        eval_time: '5m30s',
        exp_samples: [{ labels: `{pod="${POD_B}"}`, value: 2.5 }],
      },
    ]);
    assert.equal(code, 0, output);
  });

  test('a wrong expected value makes promtool fail, so the checks above are not vacuous', async () => {
    const { code, output } = await promtoolTest([
      {
        expr: renderMetricsQuery(rule, NAMESPACE, [POD_A]),
        eval_time: '10m',
        exp_samples: [{ labels: `{pod="${POD_A}"}`, value: 11 }],
      },
    ]);
    assert.equal(code, 1);
    assert.match(output, /FAILED/);
  });
});
