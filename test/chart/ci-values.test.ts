import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { chartDir, runHelm } from './helm.js';
import { FULLNAME, type K8sObject, renderChart } from './render.js';
import { validateObject } from './validate.js';

/** What each ci/<name>-values.yaml must render, as sorted kind/name pairs. */
const EXPECTED: Record<string, string[]> = {
  default: [
    `ConfigMap/${FULLNAME}-adapter-rule`,
    `Deployment/${FULLNAME}`,
    `HorizontalPodAutoscaler/${FULLNAME}`,
    `Pod/${FULLNAME}-test`,
    `PodDisruptionBudget/${FULLNAME}`,
    `Service/${FULLNAME}`,
    `ServiceMonitor/${FULLNAME}`,
  ],
  'cpu-qps': [
    `ConfigMap/${FULLNAME}-adapter-rule`,
    `Deployment/${FULLNAME}`,
    `HorizontalPodAutoscaler/${FULLNAME}`,
    `Pod/${FULLNAME}-test`,
    `PodDisruptionBudget/${FULLNAME}`,
    `Service/${FULLNAME}`,
    `ServiceMonitor/${FULLNAME}`,
  ],
  keda: [
    `ConfigMap/${FULLNAME}-dashboard`,
    `Deployment/${FULLNAME}`,
    `Pod/${FULLNAME}-test`,
    `PodDisruptionBudget/${FULLNAME}`,
    `PrometheusRule/${FULLNAME}`,
    `ScaledObject/${FULLNAME}`,
    `Service/${FULLNAME}`,
    `ServiceMonitor/${FULLNAME}`,
  ],
  observability: [
    `ConfigMap/${FULLNAME}-adapter-rule`,
    `ConfigMap/${FULLNAME}-dashboard`,
    `Deployment/${FULLNAME}`,
    `HorizontalPodAutoscaler/${FULLNAME}`,
    `Pod/${FULLNAME}-test`,
    `PodDisruptionBudget/${FULLNAME}`,
    `PrometheusRule/${FULLNAME}`,
    `Service/${FULLNAME}`,
    `ServiceMonitor/${FULLNAME}`,
  ],
  'user-app': [
    `ConfigMap/${FULLNAME}-adapter-rule`,
    `Deployment/${FULLNAME}`,
    `HTTPRoute/${FULLNAME}`,
    `HorizontalPodAutoscaler/${FULLNAME}`,
    `Ingress/${FULLNAME}`,
    `NetworkPolicy/${FULLNAME}`,
    `Pod/${FULLNAME}-test`,
    `PodDisruptionBudget/${FULLNAME}`,
    `Service/${FULLNAME}`,
    `ServiceAccount/${FULLNAME}`,
    `ServiceMonitor/${FULLNAME}`,
  ],
  'monitoring-off': [
    `Deployment/${FULLNAME}`,
    `Pod/${FULLNAME}-test`,
    `PodDisruptionBudget/${FULLNAME}`,
    `Service/${FULLNAME}`,
  ],
};

const ciFiles = readdirSync(join(chartDir, 'ci'))
  .filter((name) => name.endsWith('-values.yaml'))
  .sort();

test('every ci/*-values.yaml has an expected render and every expected render a file', () => {
  assert.deepEqual(
    ciFiles,
    Object.keys(EXPECTED)
      .map((name) => `${name}-values.yaml`)
      .sort(),
  );
});

for (const file of ciFiles) {
  const name = file.slice(0, -'-values.yaml'.length);
  const path = join(chartDir, 'ci', file);

  describe(`ci/${file}`, () => {
    test('passes helm lint --strict', async () => {
      const result = await runHelm(['lint', '--strict', chartDir, '-f', path]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /^1 chart\(s\) linted, 0 chart\(s\) failed$/m);
      assert.doesNotMatch(result.stdout, /\[(WARNING|ERROR)\]/);
    });

    test('renders the expected objects, each valid against its Kubernetes, prometheus-operator or KEDA schema', async () => {
      const objects = await renderChart({}, ['-f', path]);
      assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), EXPECTED[name]);
      for (const object of objects) validateObject(object);
    });
  });
}

test('schema validation rejects an HPA without maxReplicas and a ServiceMonitor with a malformed interval', async () => {
  const objects = await renderChart();
  const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler') as K8sObject;
  const { maxReplicas: _, ...withoutMax } = hpa.spec;
  assert.throws(
    () => validateObject({ ...hpa, spec: withoutMax }),
    /^Error: HorizontalPodAutoscaler demo-warmscale is invalid: /,
  );
  const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as K8sObject;
  const endpoints = [{ ...monitor.spec.endpoints[0], interval: '15 seconds' }];
  assert.throws(
    () => validateObject({ ...monitor, spec: { ...monitor.spec, endpoints } }),
    /^Error: ServiceMonitor demo-warmscale is invalid: /,
  );
  assert.throws(() => validateObject({ ...hpa, apiVersion: 'autoscaling/v2beta2' }), {
    message: 'no schema for autoscaling/v2beta2/HorizontalPodAutoscaler (demo-warmscale)',
  });
});
