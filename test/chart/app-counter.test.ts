import assert from 'node:assert/strict';
import { test } from 'node:test';
import warmscale from '@warmscale/middleware';
import Fastify from 'fastify';
import { adapterMetricName, adapterRule, seriesName } from './adapter.js';
import { hpa, renderChart } from './render.js';

test("the app's request counter is the series the adapter rule selects and the HPA's metric derives from", async () => {
  // The demo registers @warmscale/middleware with its defaults; so does this app.
  const app = Fastify();
  await app.register(warmscale);
  app.get('/hello', async () => 'hello');
  try {
    assert.equal((await app.inject({ method: 'GET', url: '/hello' })).statusCode, 200);
    const exposition = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const counters = [...exposition.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => m[1]);
    assert.ok(counters.includes('httpserver_requests_total'), counters.join(', '));
    assert.ok(exposition.split('\n').includes('httpserver_requests_total{method="GET",route="/hello",status="200"} 1'));

    const objects = await renderChart();
    const rule = adapterRule(objects);
    assert.equal(seriesName(rule), 'httpserver_requests_total');
    assert.equal(adapterMetricName(rule, 'httpserver_requests_total'), 'httpserver_requests_qps');
    assert.equal(hpa(objects).spec.metrics[0].pods.metric.name, 'httpserver_requests_qps');
  } finally {
    await app.close();
  }
});
