import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { helmChart } from './render.js';

const FAIL_AT = 'Error: execution error at (warmscale/templates/deployment.yaml:1:4): ';
const SCHEMA = "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nwarmscale:\n";

/** Renders with `values`/`args`, expects helm to refuse, and returns the first lines of its error. */
async function refusal(values: Record<string, unknown>, args: readonly string[] = []): Promise<string> {
  const result = await helmChart('template', values, args);
  assert.equal(result.code, 1, `helm accepted the values:\n${result.stdout.slice(0, 400)}`);
  assert.equal(result.stdout, '');
  return result.stderr.split('\nUse --debug flag')[0]?.trimEnd() ?? '';
}

describe('values the chart refuses', () => {
  test('a misspelt top-level key fails the schema', async () => {
    assert.equal(
      await refusal({ autoscalling: { enabled: true } }),
      `${SCHEMA}- at '': additional properties 'autoscalling' not allowed`,
    );
  });

  test('a misspelt nested key fails the schema', async () => {
    assert.equal(
      await refusal({ shutdown: { drainTimeoutSecond: 10 } }),
      `${SCHEMA}- at '/shutdown': additional properties 'drainTimeoutSecond' not allowed`,
    );
  });

  test('minReplicas 0 fails the schema, since Pods metrics need a pod to measure', async () => {
    assert.equal(
      await refusal({ autoscaling: { minReplicas: 0 } }),
      `${SCHEMA}- at '/autoscaling/minReplicas': minimum: got 0, want 1`,
    );
  });

  test('the HPA and KEDA both on fails, naming the fix', async () => {
    assert.equal(
      await refusal({ keda: { enabled: true } }),
      `${FAIL_AT}autoscaling.enabled and keda.enabled are mutually exclusive: KEDA creates its own HPA (keda-hpa-<name>) for the same Deployment. Set autoscaling.enabled=false to scale with KEDA.`,
    );
  });

  test('a CPU metric without a CPU request fails', async () => {
    assert.equal(
      await refusal({ autoscaling: { cpu: { enabled: true } } }, ['--set', 'resources.requests.cpu=null']),
      `${FAIL_AT}autoscaling.cpu.enabled requires resources.requests.cpu: CPU Utilization is a percentage of the request, and an HPA on CPU without a CPU request never scales.`,
    );
  });

  test('a memory metric without a memory request fails', async () => {
    assert.equal(
      await refusal({ autoscaling: { memory: { enabled: true } } }, ['--set', 'resources.requests.memory=null']),
      `${FAIL_AT}autoscaling.memory.enabled requires resources.requests.memory: memory Utilization is a percentage of the request, and an HPA on memory without a memory request never scales.`,
    );
  });

  test('Kubernetes 1.29 is refused, because the preStop sleep action needs 1.30', async () => {
    assert.equal(
      await refusal({}, ['--kube-version', '1.29.0']),
      'Error: chart requires kubeVersion: >=1.30.0-0 which is incompatible with Kubernetes v1.29.0',
    );
  });

  test('a grace period not above preStop + shutdown timeout fails', async () => {
    assert.equal(
      await refusal({ shutdown: { terminationGracePeriodSeconds: 25 } }),
      `${FAIL_AT}shutdown.terminationGracePeriodSeconds must be > shutdown.preStopSleepSeconds + shutdown.timeoutSeconds (got 25 <= 5 + 20); leave it null to derive it`,
    );
  });

  test('a shutdown timeout below delay + drain fails', async () => {
    assert.equal(
      await refusal({ shutdown: { timeoutSeconds: 12 } }),
      `${FAIL_AT}shutdown.timeoutSeconds must be >= shutdown.delaySeconds + shutdown.drainTimeoutSeconds (got 12 < 5 + 10)`,
    );
  });

  test('a rate window shorter than 4 scrape intervals fails', async () => {
    assert.equal(
      await refusal({ serviceMonitor: { interval: '30s' } }),
      `${FAIL_AT}adapterRule.rateWindow must be >= 4 x serviceMonitor.interval so rate() always has enough samples (got 1m = 60s < 4 x 30s = 120s)`,
    );
  });

  test('maxReplicas below minReplicas fails', async () => {
    assert.equal(
      await refusal({ autoscaling: { minReplicas: 4, maxReplicas: 3 } }),
      `${FAIL_AT}autoscaling.maxReplicas must be >= autoscaling.minReplicas (got 3 < 4)`,
    );
  });

  test('a PodDisruptionBudget that would block every eviction fails the schema', async () => {
    assert.equal(
      await refusal({ pdb: { maxUnavailable: 0 } }),
      `${SCHEMA}- at '/pdb/maxUnavailable': 'oneOf' failed, none matched\n  - at '/pdb/maxUnavailable': minimum: got 0, want 1\n  - at '/pdb/maxUnavailable': got number, want string`,
    );
  });

  test('a counter name without _total fails the schema', async () => {
    assert.equal(
      await refusal({ metrics: { counterName: 'httpserver_requests' } }),
      `${SCHEMA}- at '/metrics/counterName': 'httpserver_requests' does not match pattern '^[a-zA-Z_:][a-zA-Z0-9_:]*_total$'`,
    );
  });

  test('a behavior policy with an unknown type fails the schema', async () => {
    const behavior = { scaleUp: { policies: [{ type: 'Replicas', value: 1, periodSeconds: 60 }] } };
    assert.equal(
      await refusal({ autoscaling: { behavior } }),
      `${SCHEMA}- at '/autoscaling/behavior/scaleUp/policies/0/type': value must be one of 'Pods', 'Percent'`,
    );
  });

  test('a relist interval shorter than the scrape interval fails', async () => {
    assert.equal(
      await refusal({ adapterRule: { metricsRelistInterval: '10s' } }),
      `${FAIL_AT}adapterRule.metricsRelistInterval must be >= serviceMonitor.interval, or series vanish from the adapter between scrapes (got 10s = 10s < 15s = 15s)`,
    );
  });

  test('a KEDA fallback together with a cpu trigger fails, since KEDA refuses it', async () => {
    assert.equal(
      await refusal({ autoscaling: { enabled: false, cpu: { enabled: true } }, keda: { enabled: true } }),
      `${FAIL_AT}keda.fallback.enabled cannot be combined with autoscaling.cpu or autoscaling.memory: KEDA refuses a fallback on a ScaledObject with cpu or memory triggers. Set keda.fallback.enabled=false; ignoreNullValues "false" still turns a Prometheus outage into a failed metric, on which the HPA never scales in.`,
    );
  });

  test('admission slow start without a cap fails, naming both values', async () => {
    assert.equal(
      await refusal({ admission: { slowStartSeconds: 30 } }),
      `${FAIL_AT}admission.slowStartSeconds (30) needs admission.maxInFlight > 0: slow start ramps that cap`,
    );
  });

  test('KEDA fallback replicas above maxReplicas fail', async () => {
    assert.equal(
      await refusal({ autoscaling: { enabled: false }, keda: { enabled: true, fallback: { replicas: 11 } } }),
      `${FAIL_AT}keda.fallback.replicas must be <= autoscaling.maxReplicas (got 11 > 10)`,
    );
  });

  test('an image digest that is not sha256 fails the schema', async () => {
    assert.equal(
      await refusal({ image: { digest: 'latest' } }),
      `${SCHEMA}- at '/image/digest': 'latest' does not match pattern '^(sha256:[a-f0-9]{64})?$'`,
    );
  });

  test('an HTTPRoute rule with its own backendRefs fails the schema, since the chart adds the Service', async () => {
    const rules = [{ backendRefs: [{ name: 'other', port: 80 }] }];
    assert.match(await refusal({ httpRoute: { enabled: true, rules } }), /- at '\/httpRoute\/rules\/0': /);
  });

  test('an alert with a malformed for fails the schema', async () => {
    assert.equal(
      await refusal({ prometheusRule: { alerts: { hpaMaxedOut: { for: '15 minutes' } } } }),
      `${SCHEMA}- at '/prometheusRule/alerts/hpaMaxedOut/for': '15 minutes' does not match pattern '^(0|([0-9]+(ms|s|m|h|d|w|y))+)$'`,
    );
  });

  test('Kubernetes 1.30 is accepted', async () => {
    const result = await helmChart('template', {}, ['--kube-version', '1.30.0']);
    assert.equal(result.code, 0, result.stderr);
  });
});
