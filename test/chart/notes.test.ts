import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FULLNAME, NAMESPACE, RELEASE, renderNotes } from './render.js';

function lines(text: string): string[] {
  return text.split('\n').map((line) => line.trim());
}

describe('NOTES.txt', () => {
  test('with the HPA it says how to merge the adapter rule and how to check the custom metric', async () => {
    const notes = lines(await renderNotes());
    assert.ok(notes.includes(`${FULLNAME} 0.1.0 is deployed in namespace ${NAMESPACE}.`));
    assert.ok(
      notes.includes(
        `kubectl -n ${NAMESPACE} get configmap ${FULLNAME}-adapter-rule -o jsonpath='{.data.adapter-values\\.yaml}' > prometheus-adapter-values.yaml`,
      ),
    );
    assert.ok(
      notes.includes(
        'helm upgrade --install prometheus-adapter prometheus-community/prometheus-adapter -n monitoring -f prometheus-adapter-values.yaml',
      ),
    );
    assert.equal(
      notes.some((line) => line.includes('--reuse-values')),
      false,
    );
    assert.ok(
      notes.includes(
        `kubectl get --raw "/apis/custom.metrics.k8s.io/v1beta1/namespaces/${NAMESPACE}/pods/*/httpserver_requests_qps"`,
      ),
    );
    assert.ok(notes.includes(`kubectl -n ${NAMESPACE} describe hpa ${FULLNAME}`));
    assert.ok(
      notes.includes(
        `Pods turn Ready after warm-up (startupProbe budget 20 x 2s); \`helm test ${RELEASE} -n ${NAMESPACE}\` checks /readyz and /metrics.`,
      ),
    );
    assert.ok(notes.includes(`kubectl -n ${NAMESPACE} logs deploy/${FULLNAME} | grep '"warmscale settings"'`));
  });

  test('with KEDA it points at the ScaledObject and its HPA instead of the adapter', async () => {
    const notes = await renderNotes({ autoscaling: { enabled: false }, keda: { enabled: true } });
    assert.ok(lines(notes).includes(`kubectl -n ${NAMESPACE} get scaledobject ${FULLNAME}`));
    assert.ok(lines(notes).includes(`kubectl -n ${NAMESPACE} describe hpa keda-hpa-${FULLNAME}`));
    assert.equal(notes.includes('custom.metrics.k8s.io'), false);
  });

  test('without autoscaling it names the fixed replica count', async () => {
    const notes = await renderNotes({ autoscaling: { enabled: false }, replicaCount: 3 });
    assert.ok(lines(notes).includes('3. Autoscaling is off: 3 replicas.'));
  });
});
