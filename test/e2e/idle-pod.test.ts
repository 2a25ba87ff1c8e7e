/**
 * A ready pod that has served nothing yet must reach the HPA as 0 QPS, not as a missing pod: upstream counts a missing
 * pod as 100% of the target when it scales down, which holds scale-in back (replica_calculator.go). Proven with a real
 * Prometheus scraping a real demo process, queried with the chart's adapter rule as prometheus-adapter renders it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adapterRule, renderMetricsQuery } from '../chart/adapter.js';
import { FULLNAME, NAMESPACE, renderChart } from '../chart/render.js';
import { startDemo } from '../support/demo-process.js';
import { get, sleep, waitForStatus } from '../support/http.js';
import { type InstantSample, startPrometheus } from '../support/prometheus.js';

const POD = `${FULLNAME}-idle`;

test('a ready pod that has served no request shows up in the adapter query as 0, not as missing', async () => {
  const objects = await renderChart();
  const rule = adapterRule(objects);
  const demo = await startDemo({ WARMSCALE_WARMUP_ENABLED: 'false', WARMSCALE_SHUTDOWN_DELAY_MS: '0' });
  const prometheus = await startPrometheus({
    scrapeIntervalSeconds: 1,
    targets: [{ url: demo.url, labels: { namespace: NAMESPACE, pod: POD, service: FULLNAME } }],
  }).catch(async (error: unknown) => {
    await demo.stop();
    throw error;
  });
  try {
    await waitForStatus(`${demo.url}/readyz`, 200);
    // Probes, as the kubelet sends them; they are never counted.
    for (const path of ['/startupz', '/readyz', '/livez']) assert.equal((await get(`${demo.url}${path}`)).status, 200);
    const query = renderMetricsQuery(rule, NAMESPACE, [POD]);
    let result: InstantSample[] = [];
    // rate() needs two scrapes; a deadline only turns a pod that never shows up into a failure.
    const deadline = Date.now() + 30_000;
    while (result.length === 0 && Date.now() < deadline) {
      await sleep(250);
      result = await prometheus.query(query);
    }
    assert.deepEqual(
      result.map((sample) => [sample.metric.pod, sample.value]),
      [[POD, 0]],
      `${query}\n${prometheus.logs()}`,
    );
  } finally {
    await prometheus.stop();
    await demo.stop();
  }
});
