// Ports of replica_calculator_test.go (kubernetes master, table-driven form): TestReplicaCalc*, TestGroupPods,
// TestCalculateRequests, TestGetPerPodUsage. Values are the upstream fixtures: two containers per pod for CPU.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  calculateRequests,
  getExternalMetricReplicas,
  getExternalPerPodMetricReplicas,
  getMetricReplicas,
  getObjectMetricReplicas,
  getObjectPerPodMetricReplicas,
  getPerPodUsage,
  getResourceReplicas,
  groupPods,
  MAX_INT32,
  MAX_INT64,
  type PodInfo,
  type PodMetric,
  ReplicaCalculationError,
  type Tolerances,
} from '@warmscale/hpa-sim';
import {
  type CalcScenario,
  COOL,
  calcCpuMetrics,
  calcCustomMetrics,
  calcPods,
  HOT,
  makePodMetricLevels,
  NOW,
  READINESS,
} from './helpers.js';

const DEFAULT_TOLERANCES: Tolerances = { scaleDown: 0.1, scaleUp: 0.1 };
const ONE_PERCENT_UP: Tolerances = { scaleDown: 0.1, scaleUp: 0.01 };
const ONE = 1000;

interface ResourceCase {
  readonly name: string;
  readonly fixture: CalcScenario;
  readonly targetUtilization: number;
  readonly expected: { replicaCount: number; utilization: number; rawUtilization: number } | RegExp;
  readonly tolerances?: Tolerances;
}

function runResourceCases(suite: string, cases: readonly ResourceCase[]): void {
  describe(suite, () => {
    for (const c of cases) {
      test(`${suite}/${c.name}`, () => {
        const calc = () =>
          getResourceReplicas({
            currentReplicas: c.fixture.currentReplicas,
            targetUtilization: c.targetUtilization,
            resource: 'cpu',
            tolerances: c.tolerances ?? DEFAULT_TOLERANCES,
            pods: calcPods(c.fixture),
            metrics: calcCpuMetrics(c.fixture),
            readiness: READINESS,
          });
        if (c.expected instanceof RegExp) assert.throws(calc, c.expected);
        else assert.deepEqual(calc(), c.expected);
      });
    }
  });
}

runResourceCases('TestReplicaCalcResourceScale', [
  {
    name: 'scale up',
    fixture: { currentReplicas: 3, requests: [ONE, ONE, ONE], levels: makePodMetricLevels(300, 500, 700) },
    targetUtilization: 30,
    expected: { replicaCount: 5, utilization: 50, rawUtilization: 2 * 500 },
  },
  {
    name: 'scale up: unready pod scales less',
    fixture: {
      currentReplicas: 3,
      podReadiness: [false, true, true],
      requests: [ONE, ONE, ONE],
      levels: makePodMetricLevels(300, 500, 700),
    },
    targetUtilization: 30,
    expected: { replicaCount: 4, utilization: 60, rawUtilization: 2 * 600 },
  },
  {
    name: 'scale up: hot-CPU pod scales less',
    fixture: {
      currentReplicas: 3,
      podStartTime: [HOT, COOL, COOL],
      requests: [ONE, ONE, ONE],
      levels: makePodMetricLevels(300, 500, 700),
    },
    targetUtilization: 30,
    expected: { replicaCount: 4, utilization: 60, rawUtilization: 2 * 600 },
  },
  {
    name: 'no scale: unready pods ignored',
    fixture: {
      currentReplicas: 3,
      podReadiness: [true, false, false],
      requests: [ONE, ONE, ONE],
      levels: makePodMetricLevels(400, 500, 700),
    },
    targetUtilization: 30,
    expected: { replicaCount: 3, utilization: 40, rawUtilization: 2 * 400 },
  },
  {
    name: 'no scale: hot-CPU pods ignored',
    fixture: {
      currentReplicas: 3,
      podReadiness: [true, false, false],
      podStartTime: [COOL, HOT, HOT],
      requests: [ONE, ONE, ONE],
      levels: makePodMetricLevels(400, 500, 700),
    },
    targetUtilization: 30,
    expected: { replicaCount: 3, utilization: 40, rawUtilization: 2 * 400 },
  },
  {
    name: 'scale up: failed pods ignored',
    fixture: {
      currentReplicas: 2,
      podReadiness: [true, true, false, false],
      podPhase: ['Running', 'Running', 'Failed', 'Failed'],
      requests: [ONE, ONE, ONE, ONE],
      levels: makePodMetricLevels(500, 700),
    },
    targetUtilization: 30,
    expected: { replicaCount: 4, utilization: 60, rawUtilization: 2 * 600 },
  },
  {
    name: 'scale up: succeeded pods ignored',
    fixture: {
      currentReplicas: 2,
      podReadiness: [true, true, false, false],
      podPhase: ['Running', 'Running', 'Succeeded', 'Succeeded'],
      requests: [ONE, ONE, ONE, ONE],
      levels: makePodMetricLevels(500, 700),
    },
    targetUtilization: 30,
    expected: { replicaCount: 4, utilization: 60, rawUtilization: 2 * 600 },
  },
  {
    name: 'scale up: pods being deleted are ignored',
    fixture: {
      currentReplicas: 2,
      podReadiness: [true, true, false, false],
      podPhase: ['Running', 'Running', 'Running', 'Running'],
      podDeletionTimestamp: [false, false, true, true],
      requests: [ONE, ONE, ONE, ONE],
      levels: makePodMetricLevels(500, 700),
    },
    targetUtilization: 30,
    expected: { replicaCount: 4, utilization: 60, rawUtilization: 2 * 600 },
  },
  {
    name: 'scale down',
    fixture: {
      currentReplicas: 5,
      requests: [ONE, ONE, ONE, ONE, ONE],
      levels: makePodMetricLevels(100, 300, 500, 250, 250),
    },
    targetUtilization: 50,
    expected: { replicaCount: 3, utilization: 28, rawUtilization: 2 * 280 },
  },
  {
    name: 'scale down: exclude unready pods',
    fixture: {
      currentReplicas: 5,
      podReadiness: [true, true, true, false, false],
      requests: [ONE, ONE, ONE, ONE, ONE],
      levels: makePodMetricLevels(100, 300, 500, 250, 250),
    },
    targetUtilization: 50,
    expected: { replicaCount: 2, utilization: 30, rawUtilization: 2 * 300 },
  },
  {
    name: 'scale down: exclude unscheduled pods',
    fixture: {
      currentReplicas: 5,
      podReadiness: [true, false, false, false, false],
      podPhase: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'],
      requests: [ONE, ONE, ONE, ONE, ONE],
      levels: makePodMetricLevels(100),
    },
    targetUtilization: 50,
    expected: { replicaCount: 1, utilization: 10, rawUtilization: 2 * 100 },
  },
  {
    name: 'scale down: ignore hot-CPU pods',
    fixture: {
      currentReplicas: 5,
      podStartTime: [COOL, COOL, COOL, HOT, HOT],
      requests: [ONE, ONE, ONE, ONE, ONE],
      levels: makePodMetricLevels(100, 300, 500, 250, 250),
    },
    targetUtilization: 50,
    expected: { replicaCount: 2, utilization: 30, rawUtilization: 2 * 300 },
  },
  {
    name: 'scale down: failed pods ignored',
    fixture: {
      currentReplicas: 5,
      podReadiness: [true, true, true, true, true, false, false],
      podPhase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'],
      requests: [ONE, ONE, ONE, ONE, ONE, ONE, ONE],
      levels: makePodMetricLevels(100, 300, 500, 250, 250),
    },
    targetUtilization: 50,
    expected: { replicaCount: 3, utilization: 28, rawUtilization: 2 * 280 },
  },
  {
    name: 'scale down: succeeded pods ignored',
    fixture: {
      currentReplicas: 5,
      podReadiness: [true, true, true, true, true, false, false],
      podPhase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Succeeded', 'Succeeded'],
      requests: [ONE, ONE, ONE, ONE, ONE, ONE, ONE],
      levels: makePodMetricLevels(100, 300, 500, 250, 250),
    },
    targetUtilization: 50,
    expected: { replicaCount: 3, utilization: 28, rawUtilization: 2 * 280 },
  },
  {
    name: 'scale down: pods being deleted are ignored',
    fixture: {
      currentReplicas: 5,
      podReadiness: [true, true, true, true, true, false, false],
      podPhase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Running', 'Running'],
      podDeletionTimestamp: [false, false, false, false, false, true, true],
      requests: [ONE, ONE, ONE, ONE, ONE, ONE, ONE],
      levels: makePodMetricLevels(100, 300, 500, 250, 250),
    },
    targetUtilization: 50,
    expected: { replicaCount: 3, utilization: 28, rawUtilization: 2 * 280 },
  },
]);

const MIXED_REQUESTS = [900, 1000, 1100];

runResourceCases('TestReplicaCalcResourceTolerance', [
  {
    name: 'within default tolerance',
    fixture: { currentReplicas: 3, requests: MIXED_REQUESTS, levels: makePodMetricLevels(1010, 1030, 1020) },
    targetUtilization: 100,
    expected: { replicaCount: 3, utilization: 102, rawUtilization: 2 * 1020 },
  },
  {
    name: 'outside 0% tolerance',
    tolerances: { scaleDown: 0, scaleUp: 0 },
    fixture: { currentReplicas: 3, requests: MIXED_REQUESTS, levels: makePodMetricLevels(909, 1010, 1111) },
    targetUtilization: 100,
    expected: { replicaCount: 4, utilization: 101, rawUtilization: 2 * 1010 },
  },
  {
    name: 'within 200% scale-up tolerance',
    tolerances: { scaleDown: 0.1, scaleUp: 2 },
    fixture: { currentReplicas: 3, requests: MIXED_REQUESTS, levels: makePodMetricLevels(1890, 1910, 1900) },
    targetUtilization: 100,
    expected: { replicaCount: 3, utilization: 190, rawUtilization: 2 * 1900 },
  },
  {
    name: 'outside 8% scale-up tolerance (superfluous scale-down tolerance)',
    tolerances: { scaleDown: 2, scaleUp: 0.08 },
    fixture: { currentReplicas: 3, requests: MIXED_REQUESTS, levels: makePodMetricLevels(1100, 1080, 1090) },
    targetUtilization: 100,
    expected: { replicaCount: 4, utilization: 109, rawUtilization: 2 * 1090 },
  },
  {
    name: 'within 36% scale-down tolerance',
    tolerances: { scaleDown: 0.36, scaleUp: 0.1 },
    fixture: { currentReplicas: 3, requests: MIXED_REQUESTS, levels: makePodMetricLevels(660, 640, 650) },
    targetUtilization: 100,
    expected: { replicaCount: 3, utilization: 65, rawUtilization: 2 * 650 },
  },
  {
    name: 'outside 34% scale-down tolerance',
    tolerances: { scaleDown: 0.34, scaleUp: 0.1 },
    fixture: { currentReplicas: 3, requests: MIXED_REQUESTS, levels: makePodMetricLevels(660, 640, 650) },
    targetUtilization: 100,
    expected: { replicaCount: 2, utilization: 65, rawUtilization: 2 * 650 },
  },
]);

runResourceCases('TestReplicaCalcResourceMissingMetrics', [
  {
    name: 'superfluous metrics counted',
    fixture: {
      currentReplicas: 4,
      requests: [ONE, ONE, ONE, ONE],
      levels: makePodMetricLevels(4000, 9500, 3000, 7000, 3200, 2000),
    },
    targetUtilization: 100,
    expected: { replicaCount: 24, utilization: 587, rawUtilization: 2 * 5875 },
  },
  {
    name: 'some pods missing metrics scales down',
    fixture: { currentReplicas: 4, requests: [ONE, ONE, ONE, ONE], levels: makePodMetricLevels(400, 95) },
    targetUtilization: 100,
    expected: { replicaCount: 3, utilization: 24, rawUtilization: 495 },
  },
  {
    name: 'no change: metric equal to target',
    fixture: { currentReplicas: 2, requests: [ONE, ONE], levels: makePodMetricLevels(1000) },
    targetUtilization: 100,
    expected: { replicaCount: 2, utilization: 100, rawUtilization: 2 * 1000 },
  },
  {
    name: 'no change: metric above target',
    fixture: { currentReplicas: 2, requests: [ONE, ONE], levels: makePodMetricLevels(1900) },
    targetUtilization: 100,
    expected: { replicaCount: 2, utilization: 190, rawUtilization: 2 * 1900 },
  },
  {
    name: 'no change: metric below target',
    fixture: { currentReplicas: 2, requests: [ONE, ONE], levels: makePodMetricLevels(600) },
    targetUtilization: 100,
    expected: { replicaCount: 2, utilization: 60, rawUtilization: 2 * 600 },
  },
  {
    name: 'no change: unready pod metric missing',
    fixture: {
      currentReplicas: 3,
      podReadiness: [false, true, true],
      requests: [ONE, ONE, ONE],
      levels: makePodMetricLevels(100, 450),
    },
    targetUtilization: 50,
    expected: { replicaCount: 3, utilization: 45, rawUtilization: 2 * 450 },
  },
  {
    name: 'no change: hot-CPU pod metric missing',
    fixture: {
      currentReplicas: 3,
      podStartTime: [HOT, COOL, COOL],
      requests: [ONE, ONE, ONE],
      levels: makePodMetricLevels(100, 450),
    },
    targetUtilization: 50,
    expected: { replicaCount: 3, utilization: 45, rawUtilization: 2 * 450 },
  },
  {
    name: 'scale up: unready pod metric missing',
    fixture: {
      currentReplicas: 3,
      podReadiness: [false, true, true],
      requests: [ONE, ONE, ONE],
      levels: makePodMetricLevels(100, 2000),
    },
    targetUtilization: 50,
    expected: { replicaCount: 4, utilization: 200, rawUtilization: 2 * 2000 },
  },
  {
    name: 'scale up: hot-CPU pod metric missing',
    fixture: {
      currentReplicas: 3,
      podReadiness: [false, true, true],
      podStartTime: [HOT, COOL, COOL],
      requests: [ONE, ONE, ONE],
      levels: makePodMetricLevels(100, 2000),
    },
    targetUtilization: 50,
    expected: { replicaCount: 4, utilization: 200, rawUtilization: 2 * 2000 },
  },
  {
    name: 'scale down: unready pod metric missing',
    fixture: {
      currentReplicas: 4,
      podReadiness: [false, true, true, true],
      requests: [ONE, ONE, ONE, ONE],
      levels: makePodMetricLevels(100, 100, 100),
    },
    targetUtilization: 50,
    expected: { replicaCount: 3, utilization: 10, rawUtilization: 2 * 100 },
  },
  {
    name: 'scale down: target over 100',
    fixture: {
      currentReplicas: 4,
      podReadiness: [false, true, true, true],
      requests: [ONE, ONE, 2 * ONE, 2 * ONE],
      levels: makePodMetricLevels(200, 100, 100),
    },
    targetUtilization: 300,
    expected: { replicaCount: 2, utilization: 6, rawUtilization: 2 * 100 },
  },
  {
    name: 'rolling update with maxSurge: extra pod missing metric',
    fixture: {
      currentReplicas: 2,
      podPhase: ['Running', 'Running', 'Running'],
      requests: [ONE, ONE, ONE],
      levels: makePodMetricLevels(100, 100),
    },
    targetUtilization: 50,
    expected: { replicaCount: 2, utilization: 10, rawUtilization: 2 * 100 },
  },
  {
    name: 'disjoint pod and metric names',
    fixture: {
      currentReplicas: 1,
      requests: [ONE],
      levels: makePodMetricLevels(100),
      podNames: ['an-older-pod-name'],
    },
    targetUtilization: 100,
    expected: /^ReplicaCalculationError: no metrics returned matched known pods$/,
  },
  {
    name: 'no metrics returned from metrics API',
    fixture: { currentReplicas: 4, requests: [ONE, ONE, ONE], levels: [] },
    targetUtilization: 100,
    expected: /unable to get metrics for resource cpu: no metrics returned from resource metrics API/,
  },
  {
    name: 'missing CPU request on container',
    fixture: { currentReplicas: 1, requests: [], levels: makePodMetricLevels(200) },
    targetUtilization: 100,
    expected: /missing request for/,
  },
]);

describe('TestReplicaCalcComputedToleranceAlgImplementation', () => {
  // 10 pods using 150m of CPU per container against requests jittered around 300m: 50% utilization.
  const perPodRequested = 300;
  const fixture: CalcScenario = {
    currentReplicas: 10,
    levels: makePodMetricLevels(...Array<number>(10).fill(150)),
    requests: [100, -100, 10, -10, 2, -2, 1, -1, 0, 0].map((jitter) => perPodRequested + jitter),
  };
  const calc = (targetUtilization: number) =>
    getResourceReplicas({
      currentReplicas: 10,
      targetUtilization,
      resource: 'cpu',
      tolerances: DEFAULT_TOLERANCES,
      pods: calcPods(fixture),
      metrics: calcCpuMetrics(fixture),
      readiness: READINESS,
    });

  test('TestReplicaCalcComputedToleranceAlgImplementation/scales down just outside the tolerance', () => {
    // target = 1/(2 × 0.9) + 0.01 → 56%: ratio 50/56 = 0.893 < 0.9, so ceil(0.893 × 10) = 9 pods.
    assert.deepEqual(calc(Math.trunc((1 / (2 * 0.9) + 0.01) * 100)), {
      replicaCount: 9,
      utilization: 50,
      rawUtilization: 300,
    });
  });

  test('TestReplicaCalcComputedToleranceAlgImplementation/holds just inside the tolerance', () => {
    // target = 1/(2 × 0.9) + 0.004 → 55%: ratio 50/55 = 0.909, within [0.9, 1.1].
    assert.deepEqual(calc(Math.trunc((1 / (2 * 0.9) + 0.004) * 100)), {
      replicaCount: 10,
      utilization: 50,
      rawUtilization: 300,
    });
  });
});

interface MetricCase {
  readonly name: string;
  readonly fixture: CalcScenario;
  readonly targetUsage: number;
  readonly expected: { replicaCount: number; usage: number };
  readonly tolerances?: Tolerances;
}

describe('TestReplicaCalcPodMetric', () => {
  const cases: MetricCase[] = [
    {
      name: 'scale up',
      fixture: { currentReplicas: 3, metricLevels: [20000, 10000, 30000] },
      targetUsage: 15000,
      expected: { replicaCount: 4, usage: 20000 },
    },
    {
      name: 'scale up: unready hot-CPU pod scales less',
      fixture: {
        currentReplicas: 3,
        podReadiness: [true, true, false],
        podStartTime: [COOL, COOL, HOT],
        metricLevels: [50000, 10000, 30000],
      },
      targetUsage: 15000,
      expected: { replicaCount: 6, usage: 30000 },
    },
    {
      name: 'scale up: unready hot-CPU pods avoid scale-down',
      fixture: {
        currentReplicas: 3,
        podReadiness: [false, true, false],
        podStartTime: [HOT, COOL, HOT],
        metricLevels: [50000, 15000, 30000],
      },
      targetUsage: 15000,
      expected: { replicaCount: 7, usage: 31666 },
    },
    {
      name: 'scale down',
      fixture: { currentReplicas: 5, metricLevels: [12000, 12000, 12000, 12000, 12000] },
      targetUsage: 20000,
      expected: { replicaCount: 3, usage: 12000 },
    },
    {
      name: 'within default tolerance',
      fixture: { currentReplicas: 3, metricLevels: [20000, 21000, 21000] },
      targetUsage: 20000,
      expected: { replicaCount: 3, usage: 20666 },
    },
    {
      name: 'outside configurable 1% tolerance',
      tolerances: ONE_PERCENT_UP,
      fixture: { currentReplicas: 3, metricLevels: [20000, 21000, 21000] },
      targetUsage: 20000,
      expected: { replicaCount: 4, usage: 20666 },
    },
    {
      name: 'no change: missing metrics',
      fixture: { currentReplicas: 5, metricLevels: [20000, 19000, 21000] },
      targetUsage: 20000,
      expected: { replicaCount: 5, usage: 20000 },
    },
    {
      name: 'rolling update with maxSurge: extra pod missing metric',
      fixture: { currentReplicas: 2, podPhase: ['Running', 'Running', 'Running'], metricLevels: [10000, 10000] },
      targetUsage: 17000,
      expected: { replicaCount: 2, usage: 10000 },
    },
  ];
  for (const c of cases) {
    test(`TestReplicaCalcPodMetric/${c.name}`, () => {
      const result = getMetricReplicas({
        currentReplicas: c.fixture.currentReplicas,
        targetUsage: c.targetUsage,
        metricName: 'qps',
        tolerances: c.tolerances ?? DEFAULT_TOLERANCES,
        pods: calcPods(c.fixture),
        metrics: calcCustomMetrics(c.fixture),
        readiness: READINESS,
      });
      assert.deepEqual(result, c.expected);
    });
  }
});

describe('TestReplicaCalcObjectMetric', () => {
  const cases: MetricCase[] = [
    {
      name: 'scale up',
      fixture: { currentReplicas: 3, metricLevels: [20000] },
      targetUsage: 15000,
      expected: { replicaCount: 4, usage: 20000 },
    },
    {
      name: 'scale up: very large metric saturates replicas to MaxInt32',
      fixture: { currentReplicas: 3, metricLevels: [MAX_INT64] },
      targetUsage: 1,
      expected: { replicaCount: MAX_INT32, usage: MAX_INT64 },
    },
    {
      name: 'scale up: ignores unready pods',
      fixture: { currentReplicas: 3, podReadiness: [false, true, false], metricLevels: [50000] },
      targetUsage: 10000,
      expected: { replicaCount: 5, usage: 50000 },
    },
    {
      name: 'scale down',
      fixture: { currentReplicas: 5, metricLevels: [12000] },
      targetUsage: 20000,
      expected: { replicaCount: 3, usage: 12000 },
    },
    {
      name: 'within default tolerance',
      fixture: { currentReplicas: 3, metricLevels: [20666] },
      targetUsage: 20000,
      expected: { replicaCount: 3, usage: 20666 },
    },
    {
      name: 'outside configurable 1% tolerance',
      tolerances: ONE_PERCENT_UP,
      fixture: { currentReplicas: 3, metricLevels: [20666] },
      targetUsage: 20000,
      expected: { replicaCount: 4, usage: 20666 },
    },
  ];
  for (const c of cases) {
    test(`TestReplicaCalcObjectMetric/${c.name}`, () => {
      const result = getObjectMetricReplicas({
        currentReplicas: c.fixture.currentReplicas,
        usage: c.fixture.metricLevels?.[0] ?? 0,
        targetUsage: c.targetUsage,
        tolerances: c.tolerances ?? DEFAULT_TOLERANCES,
        pods: calcPods(c.fixture),
      });
      assert.deepEqual(result, c.expected);
    });
  }
});

describe('TestReplicaCalcExternalMetric', () => {
  const cases: MetricCase[] = [
    {
      name: 'scale down: ignores unready pods (would otherwise scale up)',
      fixture: { currentReplicas: 3, podReadiness: [false, true, false], metricLevels: [8600] },
      targetUsage: 4400,
      expected: { replicaCount: 2, usage: 8600 },
    },
    {
      name: 'scale down',
      fixture: { currentReplicas: 5, metricLevels: [8600] },
      targetUsage: 14334,
      expected: { replicaCount: 3, usage: 8600 },
    },
    {
      name: 'within default tolerance',
      fixture: { currentReplicas: 3, metricLevels: [8600] },
      targetUsage: 8888,
      expected: { replicaCount: 3, usage: 8600 },
    },
    {
      name: 'outside configurable 1% tolerance',
      tolerances: ONE_PERCENT_UP,
      fixture: { currentReplicas: 3, metricLevels: [8900] },
      targetUsage: 8800,
      expected: { replicaCount: 4, usage: 8900 },
    },
    {
      name: 'usage overflow caps at MaxInt64',
      // MaxInt64/2+1 twice overflows int64; upstream caps the sum.
      fixture: { currentReplicas: 3, metricLevels: [2 ** 62, 2 ** 62] },
      targetUsage: MAX_INT64,
      expected: { replicaCount: 3, usage: MAX_INT64 },
    },
  ];
  for (const c of cases) {
    test(`TestReplicaCalcExternalMetric/${c.name}`, () => {
      const result = getExternalMetricReplicas({
        currentReplicas: c.fixture.currentReplicas,
        metricName: 'qps',
        values: c.fixture.metricLevels ?? [],
        targetUsage: c.targetUsage,
        tolerances: c.tolerances ?? DEFAULT_TOLERANCES,
        pods: calcPods(c.fixture),
      });
      assert.deepEqual(result, c.expected);
    });
  }
});

interface PerPodCase {
  readonly name: string;
  readonly statusReplicas: number;
  readonly level: number;
  readonly perPodTargetUsage: number;
  readonly expected: { replicaCount: number; usage: number };
  readonly tolerances?: Tolerances;
}

describe('TestReplicaCalcObjectPerPodMetric', () => {
  const cases: PerPodCase[] = [
    {
      name: 'usage overflow with huge target leaves replicas unchanged',
      statusReplicas: 1,
      level: MAX_INT64,
      perPodTargetUsage: MAX_INT64,
      expected: { replicaCount: 1, usage: MAX_INT64 },
    },
    {
      name: 'scale up',
      statusReplicas: 3,
      level: 20000,
      perPodTargetUsage: 5000,
      expected: { replicaCount: 4, usage: 6667 },
    },
    {
      name: 'scale down',
      statusReplicas: 5,
      level: 6000,
      perPodTargetUsage: 2000,
      expected: { replicaCount: 3, usage: 1200 },
    },
    {
      name: 'within default tolerance',
      statusReplicas: 4,
      level: 20166,
      perPodTargetUsage: 5000,
      expected: { replicaCount: 4, usage: 5042 },
    },
    {
      name: 'outside configurable 1% tolerance',
      tolerances: ONE_PERCENT_UP,
      statusReplicas: 4,
      level: 20208,
      perPodTargetUsage: 5000,
      expected: { replicaCount: 5, usage: 5052 },
    },
    {
      name: 'statusReplicas zero does not overflow usage',
      statusReplicas: 0,
      level: 20000,
      perPodTargetUsage: 5000,
      expected: { replicaCount: 4, usage: 0 },
    },
    {
      name: 'statusReplicas zero and metric zero does not underflow',
      statusReplicas: 0,
      level: 0,
      perPodTargetUsage: 5000,
      expected: { replicaCount: 0, usage: 0 },
    },
  ];
  for (const c of cases) {
    test(`TestReplicaCalcObjectPerPodMetric/${c.name}`, () => {
      const result = getObjectPerPodMetricReplicas({
        statusReplicas: c.statusReplicas,
        usage: c.level,
        targetAverageUsage: c.perPodTargetUsage,
        tolerances: c.tolerances ?? DEFAULT_TOLERANCES,
      });
      assert.deepEqual(result, c.expected);
    });
  }
});

describe('TestReplicaCalcExternalPerPodMetric', () => {
  const cases: PerPodCase[] = [
    {
      name: 'replica count overflow saturates to MaxInt32',
      statusReplicas: 1,
      level: MAX_INT64,
      perPodTargetUsage: 1,
      expected: { replicaCount: MAX_INT32, usage: MAX_INT64 },
    },
    {
      name: 'usage overflow with huge target leaves replicas unchanged',
      statusReplicas: 1,
      level: MAX_INT64,
      perPodTargetUsage: MAX_INT64,
      expected: { replicaCount: 1, usage: MAX_INT64 },
    },
    {
      name: 'statusReplicas zero does not overflow usage',
      statusReplicas: 0,
      level: 20000,
      perPodTargetUsage: 5000,
      expected: { replicaCount: 4, usage: 0 },
    },
    {
      name: 'statusReplicas zero and metric zero does not underflow',
      statusReplicas: 0,
      level: 0,
      perPodTargetUsage: 5000,
      expected: { replicaCount: 0, usage: 0 },
    },
    {
      name: 'scale up',
      statusReplicas: 3,
      level: 8600,
      perPodTargetUsage: 2150,
      expected: { replicaCount: 4, usage: 2867 },
    },
    {
      name: 'scale down',
      statusReplicas: 5,
      level: 8600,
      perPodTargetUsage: 2867,
      expected: { replicaCount: 3, usage: 1720 },
    },
    {
      name: 'within default tolerance',
      statusReplicas: 3,
      level: 8600,
      perPodTargetUsage: 2900,
      expected: { replicaCount: 3, usage: 2867 },
    },
    {
      name: 'outside configurable 1% tolerance',
      tolerances: ONE_PERCENT_UP,
      statusReplicas: 3,
      level: 8600,
      perPodTargetUsage: 2800,
      expected: { replicaCount: 4, usage: 2867 },
    },
  ];
  for (const c of cases) {
    test(`TestReplicaCalcExternalPerPodMetric/${c.name}`, () => {
      const result = getExternalPerPodMetricReplicas({
        statusReplicas: c.statusReplicas,
        metricName: 'qps',
        values: [c.level],
        targetAverageUsage: c.perPodTargetUsage,
        tolerances: c.tolerances ?? DEFAULT_TOLERANCES,
      });
      assert.deepEqual(result, c.expected);
    });
  }
});

describe('TestGetPerPodUsage', () => {
  test('TestGetPerPodUsage/zero replicas returns zero', () => assert.equal(getPerPodUsage(20000, 0), 0));
  test('TestGetPerPodUsage/normal division with ceiling', () => assert.equal(getPerPodUsage(1000, 3), 334));
  test('TestGetPerPodUsage/overflow returns MaxInt64', () => assert.equal(getPerPodUsage(MAX_INT64, 1), MAX_INT64));
});

describe('TestGroupPods', () => {
  const pod = (name: string, fields: Partial<PodInfo>): PodInfo => ({
    name,
    phase: 'Running',
    ready: null,
    startTime: null,
    readyTransitionTime: 0,
    deleting: false,
    requests: {},
    ...fields,
  });
  const sample = (timestamp = 0, windowSeconds = 0): PodMetric => ({ value: 1, timestamp, windowSeconds });
  const cases: {
    name: string;
    pods: PodInfo[];
    metrics: [string, PodMetric][];
    resource: string | null;
    expect: { ready: number; unready: string[]; missing: string[]; ignored: string[] };
  }[] = [
    {
      name: 'void',
      pods: [],
      metrics: [],
      resource: 'cpu',
      expect: { ready: 0, unready: [], missing: [], ignored: [] },
    },
    {
      name: 'count in a ready pod - memory',
      pods: [pod('bentham', {})],
      metrics: [['bentham', sample(NOW, 60)]],
      resource: 'memory',
      expect: { ready: 1, unready: [], missing: [], ignored: [] },
    },
    {
      name: 'unready a pod without ready condition - CPU',
      pods: [pod('lucretius', { startTime: NOW })],
      metrics: [['lucretius', sample()]],
      resource: 'cpu',
      expect: { ready: 0, unready: ['lucretius'], missing: [], ignored: [] },
    },
    {
      name: 'count in a ready pod with fresh metrics during initialization period - CPU',
      pods: [pod('bentham', { startTime: NOW - 60, ready: true, readyTransitionTime: NOW - 30 })],
      metrics: [['bentham', sample(NOW, 30)]],
      resource: 'cpu',
      expect: { ready: 1, unready: [], missing: [], ignored: [] },
    },
    {
      name: 'unready a ready pod without fresh metrics during initialization period - CPU',
      pods: [pod('bentham', { startTime: NOW - 60, ready: true, readyTransitionTime: NOW - 30 })],
      metrics: [['bentham', sample(NOW, 60)]],
      resource: 'cpu',
      expect: { ready: 0, unready: ['bentham'], missing: [], ignored: [] },
    },
    {
      name: 'unready an unready pod during initialization period - CPU',
      pods: [pod('lucretius', { startTime: NOW - 600, ready: false, readyTransitionTime: NOW - 594 })],
      metrics: [['lucretius', sample()]],
      resource: 'cpu',
      expect: { ready: 0, unready: ['lucretius'], missing: [], ignored: [] },
    },
    {
      name: 'count in a ready pod without fresh metrics after initialization period - CPU',
      pods: [pod('bentham', { startTime: NOW - 180, ready: true, readyTransitionTime: NOW - 180 })],
      metrics: [['bentham', sample(NOW - 120, 60)]],
      resource: 'cpu',
      expect: { ready: 1, unready: [], missing: [], ignored: [] },
    },
    {
      name: 'count in an unready pod that was ready after initialization period - CPU',
      pods: [pod('lucretius', { startTime: NOW - 600, ready: false, readyTransitionTime: NOW - 540 })],
      metrics: [['lucretius', sample()]],
      resource: 'cpu',
      expect: { ready: 1, unready: [], missing: [], ignored: [] },
    },
    {
      name: 'unready pod that has never been ready after initialization period - CPU',
      pods: [pod('lucretius', { startTime: NOW - 600, ready: false, readyTransitionTime: NOW - 590 })],
      metrics: [['lucretius', sample()]],
      resource: 'cpu',
      expect: { ready: 1, unready: [], missing: [], ignored: [] },
    },
    {
      name: 'a missing pod',
      pods: [pod('epicurus', { startTime: NOW - 180 })],
      metrics: [],
      resource: 'cpu',
      expect: { ready: 0, unready: [], missing: ['epicurus'], ignored: [] },
    },
    {
      name: 'several pods',
      pods: [
        pod('lucretius', { startTime: NOW }),
        pod('niccolo', { startTime: NOW - 180, ready: true, readyTransitionTime: NOW - 180 }),
        pod('epicurus', { startTime: NOW - 180 }),
      ],
      metrics: [
        ['lucretius', sample()],
        ['niccolo', sample()],
      ],
      resource: 'cpu',
      expect: { ready: 1, unready: ['lucretius'], missing: ['epicurus'], ignored: [] },
    },
    {
      name: 'pending pods are unreadied',
      pods: [pod('unscheduled', { phase: 'Pending' })],
      metrics: [],
      resource: 'cpu',
      expect: { ready: 0, unready: ['unscheduled'], missing: [], ignored: [] },
    },
    {
      name: 'ignore pods with deletion timestamps',
      pods: [pod('deleted', { phase: 'Pending', deleting: true })],
      metrics: [['deleted', sample()]],
      resource: 'cpu',
      expect: { ready: 0, unready: [], missing: [], ignored: ['deleted'] },
    },
    {
      name: 'ignore pods in a failed state',
      pods: [pod('failed', { phase: 'Failed' })],
      metrics: [['failed', sample()]],
      resource: 'cpu',
      expect: { ready: 0, unready: [], missing: [], ignored: ['failed'] },
    },
    {
      name: 'ignore pods in a succeeded state',
      pods: [pod('succeeded', { phase: 'Succeeded' })],
      metrics: [['succeeded', sample()]],
      resource: 'cpu',
      expect: { ready: 0, unready: [], missing: [], ignored: ['succeeded'] },
    },
  ];
  for (const c of cases) {
    test(`TestGroupPods/${c.name}`, () => {
      const groups = groupPods(c.pods, new Map(c.metrics), c.resource, READINESS);
      assert.deepEqual(
        {
          ready: groups.readyPodCount,
          unready: [...groups.unreadyPods],
          missing: [...groups.missingPods],
          ignored: [...groups.ignoredPods],
        },
        c.expect,
      );
    });
  }
});

describe('TestCalculateRequests', () => {
  const base: PodInfo = {
    name: 'test-pod',
    phase: 'Running',
    ready: true,
    startTime: 0,
    readyTransitionTime: 0,
    deleting: false,
    requests: {},
  };
  test('TestCalculateRequests/void', () => assert.deepEqual(calculateRequests([], 'cpu'), new Map()));
  test('TestCalculateRequests/Sum container requests if pod-level feature is disabled', () => {
    // The caller sums the containers (100m + 50m) into the pod's request.
    assert.deepEqual(calculateRequests([{ ...base, requests: { cpu: 150 } }], 'cpu'), new Map([['test-pod', 150]]));
  });
  test('TestCalculateRequests/Fail if at least one of the containers is missing requests and pod-level feature/requests are not set', () => {
    assert.throws(
      () => calculateRequests([base], 'cpu'),
      new ReplicaCalculationError('missing request for cpu in Pod test-pod'),
    );
  });
});
