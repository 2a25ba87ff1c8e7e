// Simulator runs whose outcome is derived by hand in the comments: 15 s scrapes and a 30 s rate() window make
// every pod's rate the slope between its last two scrapes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AutoscalerSpec,
  generateHPAScaleDownRules,
  generateHPAScaleUpRules,
  profileTrace,
  SimulationError,
  type SimulationOptionsInput,
  simulate,
} from '@warmscale/hpa-sim';

const CHART_UP = generateHPAScaleUpRules({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 60 },
    { type: 'Percent', value: 100, periodSeconds: 60 },
  ],
});

function qpsHpa(scaleDown = generateHPAScaleDownRules()): AutoscalerSpec {
  return {
    name: 'web',
    namespace: 'shop',
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [
      { type: 'Pods', name: 'httpserver_requests_qps', target: { type: 'AverageValue', averageValue: 50_000 } },
    ],
    behavior: { scaleUp: CHART_UP, scaleDown },
  };
}

const PIPELINE: SimulationOptionsInput = {
  scrapeIntervalSeconds: 15,
  rateWindowSeconds: 30,
  syncPeriodSeconds: 15,
  podStartupSeconds: 10,
  warmupSeconds: 20,
  capacityQps: 80,
};

describe('simulate', () => {
  test('steady traffic at the target keeps 2 replicas with nothing to report', () => {
    const result = simulate(
      qpsHpa(),
      [
        { time: 0, qps: 100 },
        { time: 600, qps: 100 },
      ],
      PIPELINE,
    );
    assert.deepEqual(new Set(result.timeline.map((row) => row.desiredReplicas)), new Set([2]));
    assert.deepEqual(result.summary, {
      trafficChangeAt: null,
      firstScaleUpAt: null,
      timeToFirstScaleUp: null,
      settledAt: 0,
      timeToSettle: null,
      overloadSeconds: 0,
      replicaSeconds: 2 * 600,
      directionChanges: 0,
      peakReplicas: 2,
      finalReplicas: 2,
    });
  });

  test('a step from 100 to 200 QPS: one scale-up to 4, held while the new pods have no samples', () => {
    // t=60: the 15 s slope still ends before the step (50 q/s per pod): hold.
    // t=75: 200 q/s over 2 pods = 100 per pod, ratio 2 -> ceil(2 x 2) = 4 (policy limit 6).
    // t=90: the 2 new pods run but have no series: missing counts as 0 on a scale-up, (100+100+0+0)/4 = 50: hold.
    // t=105: the new pods are ready (75 + 10 + 20) and scraped once: still missing; ready = desired = 4: settled.
    // Overload (80 q/s per pod): 100 q/s per pod from 60 to 104, 45 s. Pods: 2 x 75 s + 4 x 225 s = 1050.
    const result = simulate(
      qpsHpa(),
      profileTrace({ profile: 'step', base: 100, peak: 200, at: 60, length: 300 }),
      PIPELINE,
    );
    const at = (time: number) => result.timeline.find((row) => row.time === time);
    assert.deepEqual(
      [60, 75, 90, 105, 120].map((time) => {
        const row = at(time);
        return [row?.desiredReplicas, row?.readyReplicas, row?.observedQps, row?.reason];
      }),
      [
        [2, 2, 50, 'ReadyForNewScale'],
        [4, 2, 100, 'DesiredWithinRange'],
        [4, 2, 100, 'ReadyForNewScale'],
        [4, 4, 100, 'ReadyForNewScale'],
        [4, 4, 50, 'ReadyForNewScale'],
      ],
    );
    assert.deepEqual(result.summary, {
      trafficChangeAt: 60,
      firstScaleUpAt: 75,
      timeToFirstScaleUp: 15,
      settledAt: 105,
      timeToSettle: 45,
      overloadSeconds: 45,
      replicaSeconds: 1050,
      directionChanges: 0,
      peakReplicas: 4,
      finalReplicas: 4,
    });
  });

  test('a spike up and back down counts one direction change', () => {
    // As above until 180, when traffic returns to 100. t=195: 100 q/s over 4 pods = 25 per pod, ratio 0.5 ->
    // ceil(0.5 x 4) = 2; no down window, -100% policy: down to 2 at once, the two new pods go first.
    // Pods: 2 x 75 + 4 x 120 + 2 x 105 = 840.
    const fastDown = generateHPAScaleDownRules({
      stabilizationWindowSeconds: 0,
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    });
    const trace = profileTrace({ profile: 'spike', base: 100, peak: 200, at: 60, duration: 120, length: 300 });
    const result = simulate(qpsHpa(fastDown), trace, PIPELINE);
    assert.deepEqual(
      result.timeline
        .filter((row, i) => row.desiredReplicas !== result.timeline[i - 1]?.desiredReplicas)
        .map((row) => [row.time, row.desiredReplicas]),
      [
        [0, 2],
        [75, 4],
        [195, 2],
      ],
    );
    assert.deepEqual(
      [result.summary.directionChanges, result.summary.settledAt, result.summary.replicaSeconds],
      [1, 195, 840],
    );
  });

  test('a CPU utilization metric reads the usage model through metrics-server windows', () => {
    // 200 q/s over 2 pods at 10m CPU per q/s = 1000m of a 1000m request: 100% against a 50% target -> 4 pods at t=0.
    const cpuHpa: AutoscalerSpec = {
      ...qpsHpa(),
      metrics: [{ type: 'Resource', name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } }],
    };
    const result = simulate(
      cpuHpa,
      [
        { time: 0, qps: 200 },
        { time: 120, qps: 200 },
      ],
      {
        ...PIPELINE,
        initialReplicas: 2,
        resources: { cpu: { requestMilli: 1000, idleMilli: 0, perQpsMilli: 10 } },
      },
    );
    assert.deepEqual(result.timeline[0], {
      time: 0,
      trafficQps: 200,
      desiredReplicas: 4,
      currentReplicas: 4,
      readyReplicas: 2,
      perPodQps: 100,
      observedQps: null,
      targetQps: null,
      overloaded: true,
      reason: 'DesiredWithinRange',
    });
  });

  test('an Object metric cannot be simulated', () => {
    const spec: AutoscalerSpec = {
      ...qpsHpa(),
      metrics: [
        {
          type: 'Object',
          name: 'queue_depth',
          describedObject: { apiVersion: 'v1', kind: 'Service', name: 'web' },
          target: { type: 'Value', value: 1000 },
        },
      ],
    };
    assert.throws(
      () => simulate(spec, [{ time: 0, qps: 1 }], { capacityQps: 10 }),
      new SimulationError('spec.metrics[0] (Object queue_depth): the simulator models Pods and Resource metrics only'),
    );
  });

  test('a Resource metric without a usage model names the missing flags', () => {
    const spec: AutoscalerSpec = {
      ...qpsHpa(),
      metrics: [
        ...qpsHpa().metrics,
        { type: 'Resource', name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } },
      ],
    };
    assert.throws(
      () => simulate(spec, [{ time: 0, qps: 1 }]),
      new SimulationError(
        'spec.metrics[1] (Resource memory) needs a usage model: pass resources.memory (CLI: --memory-request and --memory-per-qps)',
      ),
    );
  });

  test('a rate() window shorter than two scrapes is rejected', () => {
    assert.throws(
      () => simulate(qpsHpa(), [{ time: 0, qps: 1 }], { scrapeIntervalSeconds: 30, rateWindowSeconds: 45 }),
      new SimulationError(
        'rateWindowSeconds must be >= 2 x scrapeIntervalSeconds for rate() to see two samples (got 45 < 60)',
      ),
    );
  });
});
