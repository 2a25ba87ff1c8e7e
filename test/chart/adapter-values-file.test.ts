// The prometheus-adapter values file committed in charts/warmscale/examples is the chart's render, byte for byte,
// so a user can commit it next to their cluster configuration and regenerate it with the README's command.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { adapterMetricName, adapterValuesFragment, adapterValuesText, rateWindows, seriesName } from './adapter.js';
import { chartDir } from './helm.js';
import { durationSeconds, helmChart, parseManifests, renderChart } from './render.js';

const COMMITTED = join(chartDir, 'examples', 'prometheus-adapter-values.yaml');

describe('examples/prometheus-adapter-values.yaml', () => {
  test('matches the adapter-values.yaml the chart renders with its defaults, byte for byte', async () => {
    assert.equal(readFileSync(COMMITTED, 'utf8'), adapterValuesText(await renderChart()));
  });

  test("is what the README's `helm template --show-only templates/adapter-rule-configmap.yaml` pipeline extracts", async () => {
    const result = await helmChart('template', {}, ['--show-only', 'templates/adapter-rule-configmap.yaml']);
    assert.equal(result.code, 0, result.stderr);
    const [configMap] = parseManifests(result.stdout);
    assert.equal(configMap?.data?.['adapter-values.yaml'], readFileSync(COMMITTED, 'utf8'));
  });

  test('is a prometheus-adapter chart values file: Prometheus URL and port, relist >= scrape interval, one custom rule for the HPA metric', async () => {
    const values = parse(readFileSync(COMMITTED, 'utf8')) as ReturnType<typeof adapterValuesFragment>;
    assert.deepEqual(Object.keys(values), ['prometheus', 'metricsRelistInterval', 'rules']);
    assert.deepEqual(values.prometheus, { url: 'http://prometheus-operated.monitoring.svc', port: 9090 });
    assert.equal(values.rules.default, false);
    assert.equal(values.rules.custom.length, 1);
    const [rule] = values.rules.custom;
    assert.ok(rule);
    assert.equal(adapterMetricName(rule, seriesName(rule)), 'httpserver_requests_qps');
    const objects = await renderChart();
    const interval = objects.find((o) => o.kind === 'ServiceMonitor')?.spec.endpoints[0].interval as string;
    assert.ok(durationSeconds(values.metricsRelistInterval) >= durationSeconds(interval));
    assert.ok(durationSeconds(rateWindows(rule.metricsQuery)[0] ?? '0s') >= 4 * durationSeconds(interval));
  });

  test('follows adapterRule values: the Prometheus of kube-prometheus-stack and a longer relist', async () => {
    const adapterRule = {
      prometheus: { url: 'http://kube-prometheus-stack-prometheus.monitoring.svc' },
      metricsRelistInterval: '2m',
    };
    const values = adapterValuesFragment(await renderChart({ adapterRule }));
    assert.deepEqual(values.prometheus, { url: 'http://kube-prometheus-stack-prometheus.monitoring.svc', port: 9090 });
    assert.equal(values.metricsRelistInterval, '2m');
  });
});
