// The two consumer entry points: decideReplicas (one sync, e.g. from an end-to-end test) and HorizontalController
// (a loop calling the algorithm every sync period, keeping the controller's per-HPA histories).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideReplicas, HorizontalController, type ReconcileResult } from '@warmscale/hpa-sim';

const CHART_HPA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Pods
      pods:
        metric: {name: httpserver_requests_qps}
        target: {type: AverageValue, averageValue: "50"}
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 0
      selectPolicy: Max
      policies: [{type: Pods, value: 4, periodSeconds: 60}, {type: Percent, value: 100, periodSeconds: 60}]
    scaleDown:
      stabilizationWindowSeconds: 300
      selectPolicy: Max
      policies: [{type: Pods, value: 1, periodSeconds: 60}, {type: Percent, value: 10, periodSeconds: 60}]
`;

const reasons = (result: ReconcileResult) => result.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`);
const qps = (samples: Record<string, number | string | null>) => ({ pods: { httpserver_requests_qps: samples } });

describe('decideReplicas', () => {
  test('adapter samples of 100 q/s on 2 pods scale to 4', () => {
    const result = decideReplicas({
      hpa: CHART_HPA,
      currentReplicas: 2,
      metrics: qps({ 'web-a': 100_000, 'web-b': '100' }),
    });
    assert.deepEqual([result.desiredReplicas, result.rescale, result.metricDesiredReplicas], [4, true, 4]);
    assert.equal(result.rescaleReason, 'pods metric httpserver_requests_qps above target');
    assert.deepEqual(result.metrics[0]?.current, { averageValue: 100_000 });
  });

  test('pods without a sample count as 0 on a scale-up: 100, 100, missing, missing holds at 4', () => {
    const result = decideReplicas({
      hpa: CHART_HPA,
      currentReplicas: 4,
      metrics: qps({ 'web-a': 100_000, 'web-b': 100_000, 'web-c': null, 'web-d': null }),
    });
    assert.deepEqual([result.desiredReplicas, result.rescale, result.metricDesiredReplicas], [4, false, 4]);
  });

  test('a first sync does not scale down: the window is seeded with the current count', () => {
    const result = decideReplicas({
      hpa: CHART_HPA,
      currentReplicas: 4,
      metrics: qps({ 'web-a': 10_000, 'web-b': 10_000, 'web-c': 10_000, 'web-d': 10_000 }),
    });
    assert.deepEqual([result.desiredReplicas, result.metricDesiredReplicas], [4, 1]);
    assert.deepEqual(reasons(result), [
      'AbleToScale=True/ScaleDownStabilized',
      'ScalingActive=True/ValidMetricFound',
      'ScalingLimited=False/DesiredWithinRange',
    ]);
  });

  test('picks the HPA by name out of a multi-document stream', () => {
    const stream = `apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\n${CHART_HPA}`;
    const result = decideReplicas({
      hpa: stream,
      hpaName: 'web',
      currentReplicas: 2,
      metrics: qps({ a: 50_000, b: 50_000 }),
    });
    assert.deepEqual([result.desiredReplicas, result.rescale], [2, false]);
  });

  test('no samples at all fails the metric and keeps the count', () => {
    const result = decideReplicas({ hpa: CHART_HPA, currentReplicas: 3, metrics: {}, pods: ['a', 'b', 'c'] });
    assert.deepEqual([result.desiredReplicas, result.rescale], [3, false]);
    assert.equal(
      result.error,
      'invalid metrics (1 invalid out of 1), first error is: failed to get pods metric value: unable to get metric httpserver_requests_qps: no metrics returned from custom metrics API',
    );
    assert.deepEqual(reasons(result), [
      'AbleToScale=True/SucceededGetScale',
      'ScalingActive=False/FailedGetPodsMetric',
    ]);
  });
});

describe('HorizontalController', () => {
  test('keeps the recommendation and scale-event histories between syncs, per HPA key', () => {
    const controller = new HorizontalController();
    const pods = (n: number) => Array.from({ length: n }, (_, i) => `web-${i}`);
    const at = (now: number, replicas: number, perPod: number, sampled = replicas) =>
      controller.reconcile(CHART_HPA, {
        now,
        specReplicas: replicas,
        pods: pods(replicas),
        metrics: qps(Object.fromEntries(pods(sampled).map((name) => [name, perPod * 1000]))),
      });

    // 100 q/s per pod against 50: 4 (limit max(2 + 4, 2 x 2) = 6).
    assert.equal(at(0, 2, 100).desiredReplicas, 4);
    // Two new pods without samples: (100 + 100 + 0 + 0) / 4 = 50, hold.
    assert.equal(at(15, 4, 100, 2).desiredReplicas, 4);
    // 150 q/s on 4 pods wants 12; 2 pods were added in the last 60 s, so the period starts at 2: 2 + 4 = 6.
    const limited = at(30, 4, 150);
    assert.deepEqual([limited.desiredReplicas, limited.conditions[2]?.reason], [6, 'ScaleUpLimit']);
    // At 90 s both earlier events are 60 s old or more (strict): from 6, max(6 + 4, 12) = 12, capped at 10.
    const capped = at(90, 6, 100);
    assert.deepEqual([capped.desiredReplicas, capped.conditions[2]?.reason], [10, 'TooManyReplicas']);
    // Traffic drops: the 12 recommended at 90 s holds the count for the 300 s window.
    const held = at(105, 10, 10);
    assert.deepEqual(
      [held.desiredReplicas, held.metricDesiredReplicas, held.conditions[0]?.reason],
      [10, 2, 'ScaleDownStabilized'],
    );

    // The +4 at 90 s reuses the slot of the event at 0 s, older than the longest policy period.
    assert.deepEqual(
      controller.stateOf('shop/web')?.events.up.map((e) => [e.replicaChange, e.timestamp]),
      [
        [4, 90],
        [2, 30],
      ],
    );
    controller.delete('shop/web');
    assert.equal(controller.stateOf('shop/web'), undefined);
  });

  test('never reads a clock: the same syncs give the same pinned results under a frozen and a shifted clock', (t) => {
    // Syncs while traffic rises, then drops: the scale-up period limit, the 300 s scale-down window and the scale-down
    // period limit all depend on time, which may only come from `now`.
    const run = (): string[] => {
      const controller = new HorizontalController();
      let replicas = 2;
      const lines = [
        [0, 90],
        [15, 90],
        [30, 20],
        [345, 20],
        [360, 20],
      ].map(([now = 0, perPod = 0]) => {
        const pods = Array.from({ length: replicas }, (_, i) => `web-${i}`);
        const result = controller.reconcile(CHART_HPA, {
          now,
          specReplicas: replicas,
          pods,
          metrics: qps(Object.fromEntries(pods.map((name) => [name, perPod * 1000]))),
        });
        replicas = result.desiredReplicas;
        return `${now} s: ${result.desiredReplicas} (metric ${result.metricDesiredReplicas}) ${reasons(result).join(' ')}`;
      });
      const state = controller.stateOf('shop/web');
      const history = (name: string, entries: ReadonlyArray<readonly [number, number]> = []) =>
        `${name}: ${[...entries]
          .sort(([a, x], [b, y]) => a - b || x - y)
          .map(([at, value]) => `${value} at ${at} s`)
          .join(', ')}`;
      return [
        ...lines,
        history(
          'recommendations',
          state?.recommendations?.map((r) => [r.timestamp, r.recommendation] as const),
        ),
        history(
          'scale-ups',
          state?.events.up.map((e) => [e.timestamp, e.replicaChange] as const),
        ),
        history(
          'scale-downs',
          state?.events.down.map((e) => [e.timestamp, e.replicaChange] as const),
        ),
      ];
    };
    const expected = [
      '0 s: 4 (metric 4) AbleToScale=True/SucceededRescale ScalingActive=True/ValidMetricFound ScalingLimited=False/DesiredWithinRange',
      '15 s: 6 (metric 8) AbleToScale=True/SucceededRescale ScalingActive=True/ValidMetricFound ScalingLimited=True/ScaleUpLimit',
      '30 s: 6 (metric 3) AbleToScale=True/ScaleDownStabilized ScalingActive=True/ValidMetricFound ScalingLimited=False/DesiredWithinRange',
      '345 s: 5 (metric 3) AbleToScale=True/SucceededRescale ScalingActive=True/ValidMetricFound ScalingLimited=True/ScaleDownLimit',
      '360 s: 5 (metric 2) AbleToScale=True/ScaleDownStabilized ScalingActive=True/ValidMetricFound ScalingLimited=True/ScaleDownLimit',
      'recommendations: 2 at 0 s, 4 at 0 s, 3 at 345 s, 2 at 360 s',
      'scale-ups: 2 at 0 s, 2 at 15 s',
      'scale-downs: 1 at 345 s',
    ];
    assert.deepEqual(run(), expected);
    // Frozen at the epoch, then ten years on: a controller that read Date.now() or performance.now() would see the
    // five syncs at one instant, and at a different instant in each run.
    const dateNow = t.mock.method(Date, 'now', () => 0);
    const performanceNow = t.mock.method(performance, 'now', () => 0);
    assert.deepEqual(run(), expected);
    const tenYearsMs = 10 * 365 * 86_400_000;
    dateNow.mock.mockImplementation(() => tenYearsMs);
    performanceNow.mock.mockImplementation(() => tenYearsMs);
    assert.deepEqual(run(), expected);
  });
});
