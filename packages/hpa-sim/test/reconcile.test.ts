// Ports of the reconcileAutoscaler-level tests of horizontal_test.go (kubernetes master, table-driven form). The
// fake clients become data: CPU usage and requests split over two containers, custom metrics per pod, object and
// external values from reportedLevels; `scaleUpLimitFactor` is 8 as in the test file's init().
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AutoscalerState,
  type ControllerOptionsInput,
  type MetricSource,
  type MetricsSnapshot,
  type ReconcileResult,
  reconcileAutoscaler,
} from '@warmscale/hpa-sim';
import {
  buildHPA,
  COOL,
  generateScalingRules,
  HOT,
  type HorizontalScenario,
  horizontalPods,
  levelsByPod,
  NOW,
  recommendations,
  TESTING_OPTIONS,
} from './helpers.js';

type ConditionTuple = readonly [string, 'True' | 'False', string];

const STATUS_OK: readonly ConditionTuple[] = [
  ['AbleToScale', 'True', 'SucceededRescale'],
  ['ScalingActive', 'True', 'ValidMetricFound'],
  ['ScalingLimited', 'False', 'DesiredWithinRange'],
];

/** `statusOkWithOverrides`: the ok status with each override replacing the condition of its type. */
function statusOkWithOverrides(...overrides: ConditionTuple[]): ConditionTuple[] {
  return STATUS_OK.map((condition) => overrides.findLast((o) => o[0] === condition[0]) ?? condition);
}

const READY_FOR_NEW_SCALE: ConditionTuple = ['AbleToScale', 'True', 'ReadyForNewScale'];

/** What the fake metrics clients of newFakeHorizontalClient return for a scenario. */
function snapshotOf(s: HorizontalScenario, metrics: readonly MetricSource[]): MetricsSnapshot {
  const levels = s.reportedLevels ?? [];
  const snapshot: {
    pods: MetricsSnapshot['pods'];
    resource: MetricsSnapshot['resource'];
    object: Record<string, number>;
    external: Record<string, number[]>;
  } = {
    pods: {},
    resource: levels.length === 0 ? {} : { cpu: levelsByPod(levels, true) },
    object: {},
    external: {},
  };
  for (const metric of metrics) {
    if (metric.type === 'Pods') snapshot.pods = { ...snapshot.pods, [metric.name]: levelsByPod(levels, false) };
    if (metric.type === 'Object' && levels[0] !== undefined) snapshot.object[metric.name] = levels[0];
    if (metric.type === 'External' && levels.length > 0) snapshot.external[metric.name] = [...levels];
  }
  return snapshot;
}

interface RunOptions {
  readonly options?: ControllerOptionsInput;
  /** Replaces parts of the metrics snapshot, e.g. to make one metric fail. */
  readonly metrics?: (snapshot: MetricsSnapshot) => MetricsSnapshot;
}

/** One reconcileAutoscaler of the scenario, as `setup.controller.reconcileAutoscaler(...)` runs it. */
function reconcile(s: HorizontalScenario, run: RunOptions = {}): ReconcileResult {
  const spec = buildHPA(s);
  const state: AutoscalerState | undefined =
    s.recommendations === undefined
      ? undefined
      : { recommendations: s.recommendations, events: { up: [], down: [] }, conditions: [] };
  const snapshot = snapshotOf(s, spec.metrics);
  return reconcileAutoscaler(
    spec,
    state,
    {
      now: NOW,
      specReplicas: s.specReplicas,
      statusReplicas: s.statusReplicas,
      pods: horizontalPods(s),
      metrics: run.metrics === undefined ? snapshot : run.metrics(snapshot),
    },
    { ...TESTING_OPTIONS, ...run.options },
  );
}

function conditionsOf(result: ReconcileResult): ConditionTuple[] {
  return result.conditions.map((c) => [c.type, c.status, c.reason] as const);
}

interface Case {
  readonly name: string;
  readonly fixture: HorizontalScenario;
  readonly expectedDesiredReplicas: number;
  readonly expectedConditions?: readonly ConditionTuple[];
  readonly run?: RunOptions;
  /** Whether the sync reports an error (upstream's `expectedError`). */
  readonly expectedError?: boolean;
}

function runCases(suite: string, cases: readonly Case[]): void {
  describe(suite, () => {
    for (const c of cases) {
      test(`${suite}/${c.name}`, () => {
        const result = reconcile(c.fixture, c.run);
        assert.equal(result.desiredReplicas, c.expectedDesiredReplicas, 'desired replicas');
        assert.equal(result.rescale, c.expectedDesiredReplicas !== c.fixture.specReplicas, 'scale updated');
        assert.equal(result.error !== null, c.expectedError ?? false, `error: ${result.error}`);
        if (c.expectedConditions !== undefined) assert.deepEqual(conditionsOf(result), c.expectedConditions);
      });
    }
  });
}

const ONE = 1000;
const qps = (averageValue: number): MetricSource => ({
  type: 'Pods',
  name: 'qps',
  target: { type: 'AverageValue', averageValue },
});
const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'some-deployment' };
const objectValue = (value: number): MetricSource => ({
  type: 'Object',
  name: 'qps',
  describedObject: deployment,
  target: { type: 'Value', value },
});
const objectAverage = (averageValue: number): MetricSource => ({
  type: 'Object',
  name: 'qps',
  describedObject: deployment,
  target: { type: 'AverageValue', averageValue },
});
const externalValue = (value: number): MetricSource => ({
  type: 'External',
  name: 'qps',
  target: { type: 'Value', value },
});
const externalAverage = (averageValue: number): MetricSource => ({
  type: 'External',
  name: 'qps',
  target: { type: 'AverageValue', averageValue },
});

runCases('TestScaleUpCPU', [
  {
    name: 'scale up',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      CPUTarget: 30,
      reportedLevels: [300, 500, 700],
      reportedCPURequests: [ONE, ONE, ONE],
    },
    expectedDesiredReplicas: 5,
  },
  {
    name: 'scale up with unready pods results in less scale',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      CPUTarget: 30,
      reportedLevels: [300, 500, 700],
      reportedCPURequests: [ONE, ONE, ONE],
      reportedPodReadiness: [false, true, true],
    },
    expectedDesiredReplicas: 4,
  },
  {
    name: 'scale up with hot cpu pods results in less scale',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      CPUTarget: 30,
      reportedLevels: [300, 500, 700],
      reportedCPURequests: [ONE, ONE, ONE],
      reportedPodStartTime: [HOT, COOL, COOL],
    },
    expectedDesiredReplicas: 4,
  },
  {
    name: 'scale up ignores failed pods',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 2,
      statusReplicas: 2,
      CPUTarget: 30,
      reportedLevels: [500, 700],
      reportedCPURequests: [ONE, ONE, ONE, ONE],
      reportedPodReadiness: [true, true, false, false],
      reportedPodPhase: ['Running', 'Running', 'Failed', 'Failed'],
    },
    expectedDesiredReplicas: 4,
  },
  {
    name: 'scale up ignores deletion pods',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 2,
      statusReplicas: 2,
      CPUTarget: 30,
      reportedLevels: [500, 700],
      reportedCPURequests: [ONE, ONE, ONE, ONE],
      reportedPodReadiness: [true, true, false, false],
      reportedPodDeletionTimestamp: [false, false, true, true],
    },
    expectedDesiredReplicas: 4,
  },
  {
    name: 'scale up deployment',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      CPUTarget: 30,
      reportedLevels: [300, 500, 700],
      reportedCPURequests: [ONE, ONE, ONE],
    },
    expectedDesiredReplicas: 5,
  },
  {
    name: 'no scale up when all unready pods bring utilization within target',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      CPUTarget: 30,
      reportedLevels: [400, 500, 700],
      reportedCPURequests: [ONE, ONE, ONE],
      reportedPodReadiness: [true, false, false],
    },
    expectedDesiredReplicas: 3,
    expectedConditions: statusOkWithOverrides(READY_FOR_NEW_SCALE),
  },
]);

const FIVE_ONES = [ONE, ONE, ONE, ONE, ONE];
const SEVEN_ONES = [...FIVE_ONES, ONE, ONE];

runCases('TestScaleDownCPU', [
  {
    name: 'scale down',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      CPUTarget: 50,
      reportedLevels: [100, 300, 500, 250, 250],
      reportedCPURequests: FIVE_ONES,
      recommendations: [],
    },
    expectedDesiredReplicas: 3,
  },
  {
    name: 'scale down includes unready pods',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      CPUTarget: 50,
      reportedLevels: [100, 300, 500, 250, 250],
      reportedCPURequests: FIVE_ONES,
      reportedPodReadiness: [true, true, true, false, false],
      recommendations: [],
    },
    expectedDesiredReplicas: 2,
  },
  {
    name: 'scale down ignores hot cpu pods',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      CPUTarget: 50,
      reportedLevels: [100, 300, 500, 250, 250],
      reportedCPURequests: FIVE_ONES,
      reportedPodStartTime: [COOL, COOL, COOL, HOT, HOT],
      recommendations: [],
    },
    expectedDesiredReplicas: 2,
  },
  {
    name: 'scale down ignores failed pods',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      CPUTarget: 50,
      reportedLevels: [100, 300, 500, 250, 250],
      reportedCPURequests: SEVEN_ONES,
      reportedPodReadiness: [true, true, true, true, true, false, false],
      reportedPodPhase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'],
      recommendations: [],
    },
    expectedDesiredReplicas: 3,
  },
  {
    name: 'scale down ignores deletion pods',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      CPUTarget: 50,
      reportedLevels: [100, 300, 500, 250, 250],
      reportedCPURequests: SEVEN_ONES,
      reportedPodReadiness: [true, true, true, true, true, false, false],
      reportedPodDeletionTimestamp: [false, false, false, false, false, true, true],
      recommendations: [],
    },
    expectedDesiredReplicas: 3,
  },
]);

describe('TestScaleUpUnreadyOrHotCpuNoScale', () => {
  const cases: [string, HorizontalScenario][] = [
    [
      'unready pods excluded from scaling',
      {
        minReplicas: 2,
        maxReplicas: 6,
        specReplicas: 3,
        statusReplicas: 3,
        CPUTarget: 30,
        reportedLevels: [400, 500, 700],
        reportedCPURequests: [ONE, ONE, ONE],
        reportedPodReadiness: [true, false, false],
      },
    ],
    [
      'hot CPU pods excluded from scaling',
      {
        minReplicas: 2,
        maxReplicas: 6,
        specReplicas: 3,
        statusReplicas: 3,
        CPUTarget: 30,
        reportedLevels: [400, 500, 700],
        reportedCPURequests: [ONE, ONE, ONE],
        reportedPodReadiness: [true, false, false],
        reportedPodStartTime: [COOL, HOT, HOT],
      },
    ],
  ];
  for (const [name, fixture] of cases) {
    test(`TestScaleUpUnreadyOrHotCpuNoScale/${name}`, () => {
      const result = reconcile(fixture);
      assert.equal(result.desiredReplicas, 3);
      assert.equal(result.metrics[0]?.current?.averageUtilization, 40, 'utilization of the ready pod only');
      assert.deepEqual(conditionsOf(result), statusOkWithOverrides(READY_FOR_NEW_SCALE));
    });
  }
});

runCases('TestScaleUpCM', [
  {
    name: 'scale up custom metric',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      metricsTarget: [qps(15000)],
      reportedLevels: [20000, 10000, 30000],
      reportedCPURequests: [ONE, ONE, ONE],
    },
    expectedDesiredReplicas: 4,
  },
  {
    name: 'unready and hot cpu pods do not reduce scale for custom metric',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      metricsTarget: [qps(15000)],
      reportedLevels: [50000, 10000, 30000],
      reportedPodReadiness: [true, true, false],
      reportedPodStartTime: [COOL, COOL, HOT],
      reportedCPURequests: [ONE, ONE, ONE],
    },
    expectedDesiredReplicas: 6,
  },
  {
    name: 'unready and hot cpu pods scale to max with scaling limited condition',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      metricsTarget: [qps(15000)],
      reportedLevels: [50000, 15000, 30000],
      reportedPodReadiness: [false, true, false],
      reportedPodStartTime: [HOT, COOL, HOT],
      reportedCPURequests: [ONE, ONE, ONE],
    },
    expectedDesiredReplicas: 6,
    expectedConditions: statusOkWithOverrides(['ScalingLimited', 'True', 'TooManyReplicas']),
  },
]);

const SCALING_DISABLED: ConditionTuple[] = [
  ['AbleToScale', 'True', 'SucceededGetScale'],
  ['ScalingActive', 'False', 'ScalingDisabled'],
];

runCases('TestScaleUpCMObject', [
  {
    name: 'scale up object metric with value target',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      metricsTarget: [objectValue(15000)],
      reportedLevels: [20000],
    },
    expectedDesiredReplicas: 4,
  },
  {
    name: 'scale up from zero with feature gate disabled',
    fixture: {
      minReplicas: 0,
      maxReplicas: 6,
      specReplicas: 0,
      statusReplicas: 0,
      metricsTarget: [objectValue(15000)],
      reportedLevels: [20000],
    },
    expectedDesiredReplicas: 0,
    expectedConditions: SCALING_DISABLED,
  },
  {
    name: 'scale up from zero ignores tolerance with feature gate disabled',
    fixture: {
      minReplicas: 0,
      maxReplicas: 6,
      specReplicas: 0,
      statusReplicas: 0,
      metricsTarget: [objectValue(1000)],
      reportedLevels: [1000],
    },
    expectedDesiredReplicas: 0,
    expectedConditions: SCALING_DISABLED,
  },
  {
    name: 'scale up per-pod object metric with average value target',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      metricsTarget: [objectAverage(10000)],
      reportedLevels: [40000],
    },
    expectedDesiredReplicas: 4,
  },
]);

runCases('TestScaleUpCMExternal', [
  {
    name: 'scale up external metric with value target',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      metricsTarget: [externalValue(6666)],
      reportedLevels: [8600],
    },
    expectedDesiredReplicas: 4,
  },
  {
    name: 'scale up external metric with per-pod average value target',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      metricsTarget: [externalAverage(2222)],
      reportedLevels: [8600],
    },
    expectedDesiredReplicas: 4,
  },
]);

runCases('TestScaleDownCM', [
  {
    name: 'scale down pods metric',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      metricsTarget: [qps(20000)],
      reportedLevels: [12000, 12000, 12000, 12000, 12000],
      reportedCPURequests: FIVE_ONES,
      recommendations: [],
    },
    expectedDesiredReplicas: 3,
  },
  {
    name: 'scale down object metric with value target',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      metricsTarget: [objectValue(20000)],
      reportedLevels: [12000],
      reportedCPURequests: FIVE_ONES,
      recommendations: [],
    },
    expectedDesiredReplicas: 3,
  },
  {
    name: 'scale down to zero object metric with feature gate disabled',
    fixture: {
      minReplicas: 0,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      metricsTarget: [objectValue(20000)],
      reportedLevels: [0],
      reportedCPURequests: FIVE_ONES,
      recommendations: [],
    },
    expectedDesiredReplicas: 0,
    expectedConditions: statusOkWithOverrides(),
  },
  {
    name: 'scale down per-pod object metric with average value target',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      metricsTarget: [objectAverage(20000)],
      reportedLevels: [60000],
      reportedCPURequests: FIVE_ONES,
      recommendations: [],
    },
    expectedDesiredReplicas: 3,
  },
  {
    name: 'scale down external metric with value target',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      metricsTarget: [externalValue(14400)],
      reportedLevels: [8600],
      recommendations: [],
    },
    expectedDesiredReplicas: 3,
  },
  {
    name: 'scale down to zero external metric with feature gate disabled',
    fixture: {
      minReplicas: 0,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      metricsTarget: [externalValue(14400)],
      reportedLevels: [0],
      recommendations: [],
    },
    expectedDesiredReplicas: 0,
    expectedConditions: statusOkWithOverrides(),
  },
  {
    name: 'scale down per-pod external metric with average value target',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      metricsTarget: [externalAverage(3000)],
      reportedLevels: [8600],
      recommendations: [],
    },
    expectedDesiredReplicas: 3,
  },
]);

const MIXED = [900, 1000, 1100];

runCases('TestTolerance', [
  {
    name: 'CPU resource metric within tolerance',
    fixture: {
      minReplicas: 1,
      maxReplicas: 5,
      specReplicas: 3,
      statusReplicas: 3,
      CPUTarget: 100,
      reportedLevels: [1010, 1030, 1020],
      reportedCPURequests: MIXED,
    },
    expectedDesiredReplicas: 3,
    expectedConditions: statusOkWithOverrides(READY_FOR_NEW_SCALE),
  },
  {
    name: 'pods metric within tolerance',
    fixture: {
      minReplicas: 1,
      maxReplicas: 5,
      specReplicas: 3,
      statusReplicas: 3,
      metricsTarget: [qps(20000)],
      reportedLevels: [20000, 20001, 21000],
      reportedCPURequests: MIXED,
    },
    expectedDesiredReplicas: 3,
    expectedConditions: statusOkWithOverrides(READY_FOR_NEW_SCALE),
  },
  {
    name: 'object metric with value target within tolerance',
    fixture: {
      minReplicas: 1,
      maxReplicas: 5,
      specReplicas: 3,
      statusReplicas: 3,
      metricsTarget: [objectValue(20000)],
      reportedLevels: [20050],
      reportedCPURequests: MIXED,
    },
    expectedDesiredReplicas: 3,
    expectedConditions: statusOkWithOverrides(READY_FOR_NEW_SCALE),
  },
  {
    name: 'external metric with value target within tolerance',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 4,
      statusReplicas: 4,
      metricsTarget: [externalValue(8666)],
      reportedLevels: [8600],
    },
    expectedDesiredReplicas: 4,
    expectedConditions: statusOkWithOverrides(READY_FOR_NEW_SCALE),
  },
  {
    name: 'per-pod object metric with average value target within tolerance',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 4,
      statusReplicas: 4,
      metricsTarget: [objectAverage(2200)],
      reportedLevels: [8600],
    },
    expectedDesiredReplicas: 4,
    expectedConditions: statusOkWithOverrides(READY_FOR_NEW_SCALE),
  },
  {
    name: 'per-pod external metric with average value target within tolerance',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 4,
      statusReplicas: 4,
      metricsTarget: [externalAverage(2200)],
      reportedLevels: [8600],
    },
    expectedDesiredReplicas: 4,
    expectedConditions: statusOkWithOverrides(READY_FOR_NEW_SCALE),
  },
]);

const CONFIGURABLE: HorizontalScenario = {
  minReplicas: 1,
  maxReplicas: 5,
  specReplicas: 3,
  statusReplicas: 3,
  CPUTarget: 100,
};

runCases('TestConfigurableTolerance', [
  {
    name: 'Scaling up because of a 1% configurable tolerance',
    fixture: {
      ...CONFIGURABLE,
      scaleUpRules: { tolerance: 0.01 },
      reportedLevels: [1010, 1030, 1020],
      reportedCPURequests: MIXED,
    },
    expectedDesiredReplicas: 4,
    expectedConditions: statusOkWithOverrides(['AbleToScale', 'True', 'SucceededRescale']),
  },
  {
    name: 'No scale-down because of a 90% configurable tolerance',
    fixture: {
      ...CONFIGURABLE,
      scaleDownRules: { tolerance: 0.9 },
      reportedLevels: [300, 300, 300],
      reportedCPURequests: [ONE, ONE, ONE],
    },
    expectedDesiredReplicas: 3,
    expectedConditions: statusOkWithOverrides(READY_FOR_NEW_SCALE),
  },
  {
    name: 'No scaling because of the large default tolerance',
    fixture: { ...CONFIGURABLE, reportedLevels: [1010, 1030, 1020], reportedCPURequests: MIXED },
    expectedDesiredReplicas: 3,
    expectedConditions: statusOkWithOverrides(READY_FOR_NEW_SCALE),
  },
  {
    name: 'No scaling because the configurable tolerance is ignored as the feature gate is disabled',
    fixture: {
      ...CONFIGURABLE,
      scaleUpRules: { tolerance: 0.01 },
      reportedLevels: [1010, 1030, 1020],
      reportedCPURequests: MIXED,
    },
    run: { options: { configurableTolerance: false } },
    expectedDesiredReplicas: 3,
    expectedConditions: statusOkWithOverrides(READY_FOR_NEW_SCALE),
  },
]);

runCases('TestReplicaLimits', [
  {
    name: 'scale down clamped to min replicas',
    fixture: {
      minReplicas: 2,
      maxReplicas: 5,
      specReplicas: 3,
      statusReplicas: 3,
      CPUTarget: 90,
      reportedLevels: [10, 95, 10],
      reportedCPURequests: MIXED,
      recommendations: [],
    },
    expectedDesiredReplicas: 2,
    expectedConditions: statusOkWithOverrides(['ScalingLimited', 'True', 'TooFewReplicas']),
  },
  {
    name: 'scale down to zero when min replicas is zero',
    fixture: {
      minReplicas: 0,
      maxReplicas: 5,
      specReplicas: 3,
      statusReplicas: 3,
      CPUTarget: 90,
      reportedLevels: [0, 0, 0],
      reportedCPURequests: MIXED,
      recommendations: [],
    },
    expectedDesiredReplicas: 0,
    expectedConditions: statusOkWithOverrides(),
  },
  {
    name: 'scale down clamped to min when desired is zero',
    fixture: {
      minReplicas: 2,
      maxReplicas: 5,
      specReplicas: 3,
      statusReplicas: 3,
      CPUTarget: 90,
      reportedLevels: [0, 0, 0],
      reportedCPURequests: MIXED,
      recommendations: [],
    },
    expectedDesiredReplicas: 2,
    expectedConditions: statusOkWithOverrides(['ScalingLimited', 'True', 'TooFewReplicas']),
  },
  {
    name: 'no scaling when spec replicas is zero',
    fixture: {
      minReplicas: 3,
      maxReplicas: 5,
      specReplicas: 0,
      statusReplicas: 0,
      CPUTarget: 90,
      reportedLevels: [],
      reportedCPURequests: [],
    },
    expectedDesiredReplicas: 0,
    expectedConditions: SCALING_DISABLED,
  },
  {
    name: 'scale up to min when below min replicas',
    fixture: {
      minReplicas: 3,
      maxReplicas: 5,
      specReplicas: 2,
      statusReplicas: 2,
      CPUTarget: 90,
      reportedLevels: [],
      reportedCPURequests: [],
    },
    expectedDesiredReplicas: 3,
    expectedConditions: [['AbleToScale', 'True', 'SucceededRescale']],
  },
  {
    name: 'scale down to max when above max replicas',
    fixture: {
      minReplicas: 3,
      maxReplicas: 5,
      specReplicas: 10,
      statusReplicas: 10,
      CPUTarget: 90,
      reportedLevels: [],
      reportedCPURequests: [],
    },
    expectedDesiredReplicas: 5,
    expectedConditions: [['AbleToScale', 'True', 'SucceededRescale']],
  },
  {
    name: 'scale up clamped to max replicas',
    fixture: {
      minReplicas: 2,
      maxReplicas: 5,
      specReplicas: 3,
      statusReplicas: 3,
      CPUTarget: 90,
      reportedLevels: [8000, 9500, 1000],
      reportedCPURequests: MIXED,
    },
    expectedDesiredReplicas: 5,
    expectedConditions: statusOkWithOverrides(['ScalingLimited', 'True', 'TooManyReplicas']),
  },
]);

const FOUR_ONES = [ONE, ONE, ONE, ONE];

runCases('TestMetricsEdgeCases', [
  {
    name: 'superfluous metrics reported',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 4,
      statusReplicas: 4,
      CPUTarget: 100,
      reportedLevels: [4000, 9500, 3000, 7000, 3200, 2000],
      reportedCPURequests: FOUR_ONES,
    },
    expectedDesiredReplicas: 6,
    expectedConditions: statusOkWithOverrides(['ScalingLimited', 'True', 'TooManyReplicas']),
  },
  {
    name: 'missing metrics from some pods',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 4,
      statusReplicas: 4,
      CPUTarget: 100,
      reportedLevels: [400, 95],
      reportedCPURequests: FOUR_ONES,
      recommendations: [],
    },
    expectedDesiredReplicas: 3,
  },
  {
    name: 'empty metrics from all pods',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 4,
      statusReplicas: 4,
      CPUTarget: 100,
      reportedLevels: [],
      reportedCPURequests: FOUR_ONES,
    },
    expectedDesiredReplicas: 4,
    expectedError: true,
    expectedConditions: [
      ['AbleToScale', 'True', 'SucceededGetScale'],
      ['ScalingActive', 'False', 'FailedGetResourceMetric'],
    ],
  },
  {
    name: 'empty CPU requests',
    fixture: {
      minReplicas: 1,
      maxReplicas: 5,
      specReplicas: 1,
      statusReplicas: 1,
      CPUTarget: 100,
      reportedLevels: [200],
      reportedCPURequests: [],
    },
    expectedDesiredReplicas: 1,
    expectedError: true,
    expectedConditions: [
      ['AbleToScale', 'True', 'SucceededGetScale'],
      ['ScalingActive', 'False', 'FailedGetResourceMetric'],
    ],
  },
]);

runCases('TestCPUScalingEdgeCases', [
  {
    name: 'missing reports from some pods',
    fixture: {
      minReplicas: 1,
      maxReplicas: 5,
      specReplicas: 4,
      statusReplicas: 4,
      CPUTarget: 50,
      reportedLevels: [200],
      reportedCPURequests: [200],
      recommendations: [],
    },
    expectedDesiredReplicas: 2,
  },
  {
    name: 'more replicas than spec no scale',
    fixture: {
      minReplicas: 1,
      maxReplicas: 8,
      specReplicas: 4,
      statusReplicas: 5,
      CPUTarget: 50,
      reportedLevels: [500, 500, 500, 500, 500],
      reportedCPURequests: FIVE_ONES,
    },
    expectedDesiredReplicas: 4,
    expectedConditions: statusOkWithOverrides(READY_FOR_NEW_SCALE),
  },
]);

runCases('TestUpscaleCap', [
  {
    name: 'capped by scale up rules',
    fixture: {
      minReplicas: 1,
      maxReplicas: 100,
      specReplicas: 3,
      statusReplicas: 3,
      scaleUpRules: generateScalingRules(0, 0, 700, 60, 0),
      CPUTarget: 10,
      reportedLevels: [100, 200, 300],
      reportedCPURequests: [100, 100, 100],
    },
    expectedDesiredReplicas: 24,
    expectedConditions: statusOkWithOverrides(['ScalingLimited', 'True', 'ScaleUpLimit']),
  },
  {
    name: 'capped by max replicas when scale up limit exceeds max',
    fixture: {
      minReplicas: 1,
      maxReplicas: 20,
      specReplicas: 3,
      statusReplicas: 3,
      scaleUpRules: generateScalingRules(0, 0, 700, 60, 0),
      CPUTarget: 10,
      reportedLevels: [100, 200, 300],
      reportedCPURequests: [100, 100, 100],
    },
    expectedDesiredReplicas: 20,
    expectedConditions: statusOkWithOverrides(['ScalingLimited', 'True', 'TooManyReplicas']),
  },
]);

runCases('TestScaleTimingBehavior', [
  {
    name: 'no backoff upscale custom metric only',
    fixture: {
      minReplicas: 1,
      maxReplicas: 5,
      specReplicas: 3,
      statusReplicas: 3,
      metricsTarget: [qps(15000)],
      reportedLevels: [20000, 10000, 30000],
      reportedCPURequests: [ONE, ONE, ONE],
    },
    expectedDesiredReplicas: 4,
    expectedConditions: statusOkWithOverrides(),
  },
  {
    name: 'no backoff upscale custom metric and CPU',
    fixture: {
      minReplicas: 1,
      maxReplicas: 5,
      specReplicas: 3,
      statusReplicas: 3,
      CPUTarget: 10,
      metricsTarget: [qps(15000)],
      reportedLevels: [20000, 10000, 30000],
      reportedCPURequests: [ONE, ONE, ONE],
    },
    expectedDesiredReplicas: 5,
    expectedConditions: statusOkWithOverrides(['ScalingLimited', 'True', 'TooManyReplicas']),
  },
  {
    name: 'stabilize downscale',
    fixture: {
      minReplicas: 1,
      maxReplicas: 5,
      specReplicas: 4,
      statusReplicas: 4,
      CPUTarget: 100,
      reportedLevels: [50, 50, 50],
      reportedCPURequests: [100, 100, 100],
      recommendations: recommendations([10, 600], [4, 60]),
    },
    expectedDesiredReplicas: 4,
    expectedConditions: statusOkWithOverrides(['AbleToScale', 'True', 'ScaleDownStabilized']),
  },
]);

runCases('TestScaleDownStabilizeInitialSize', [
  {
    name: 'the first sync seeds the window with the current count',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      CPUTarget: 50,
      reportedLevels: [100, 300, 500, 250, 250],
      reportedCPURequests: FIVE_ONES,
    },
    expectedDesiredReplicas: 5,
    expectedConditions: statusOkWithOverrides(['AbleToScale', 'True', 'ScaleDownStabilized']),
  },
]);

const withoutExternal = (snapshot: MetricsSnapshot): MetricsSnapshot => ({ ...snapshot, external: {} });

runCases('TestOneMetricEmptyExternalError', [
  {
    name: 'scale up when one external metric errors',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 3,
      statusReplicas: 3,
      CPUTarget: 30,
      metricsTarget: [externalValue(100)],
      reportedLevels: [300, 400, 500],
      reportedCPURequests: [ONE, ONE, ONE],
    },
    run: { metrics: withoutExternal },
    expectedDesiredReplicas: 4,
    expectedError: true,
  },
  {
    name: 'no scale down when one external metric errors',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 5,
      statusReplicas: 5,
      CPUTarget: 50,
      metricsTarget: [externalValue(1000)],
      reportedLevels: [100, 300, 500, 250, 250],
      reportedCPURequests: FIVE_ONES,
      recommendations: [],
    },
    run: { metrics: withoutExternal },
    expectedDesiredReplicas: 5,
    expectedError: true,
    expectedConditions: [
      ['AbleToScale', 'True', 'SucceededGetScale'],
      ['ScalingActive', 'False', 'FailedGetExternalMetric'],
    ],
  },
]);

describe('TestConditionFailedGetMetrics', () => {
  const nothing = (): MetricsSnapshot => ({});
  const cases: [string, HorizontalScenario][] = [
    [
      'FailedGetResourceMetric',
      { minReplicas: 1, maxReplicas: 100, specReplicas: 3, statusReplicas: 3, CPUTarget: 10 },
    ],
    [
      'FailedGetPodsMetric',
      { minReplicas: 1, maxReplicas: 100, specReplicas: 3, statusReplicas: 3, metricsTarget: [qps(15000)] },
    ],
    [
      'FailedGetObjectMetric',
      { minReplicas: 1, maxReplicas: 100, specReplicas: 3, statusReplicas: 3, metricsTarget: [objectValue(15000)] },
    ],
    [
      'FailedGetExternalMetric',
      { minReplicas: 1, maxReplicas: 100, specReplicas: 3, statusReplicas: 3, metricsTarget: [externalValue(300)] },
    ],
  ];
  for (const [reason, fixture] of cases) {
    test(`TestConditionFailedGetMetrics/${reason}`, () => {
      const result = reconcile(
        { ...fixture, reportedLevels: [100, 200, 300], reportedCPURequests: [100, 100, 100] },
        { metrics: nothing },
      );
      assert.equal(result.desiredReplicas, 3);
      assert.equal(result.rescale, false);
      assert.deepEqual(conditionsOf(result), [
        ['AbleToScale', 'True', 'SucceededGetScale'],
        ['ScalingActive', 'False', reason],
      ]);
    });
  }
});

describe('TestComputedToleranceAlgImplementation', () => {
  // 10 pods at 150m each against requests jittered around 300m (halved per container): 50% utilization.
  const fixture = (CPUTarget: number): HorizontalScenario => ({
    minReplicas: 0,
    maxReplicas: 1000,
    specReplicas: 10,
    statusReplicas: 10,
    CPUTarget,
    reportedLevels: Array<number>(10).fill(150),
    reportedCPURequests: [100, -100, 10, -10, 2, -2, 1, -1, 0, 0].map((jitter) => 300 + jitter),
    recommendations: [],
  });
  test('TestComputedToleranceAlgImplementation/scales down just outside the tolerance', () => {
    assert.equal(reconcile(fixture(Math.trunc((1 / (2 * 0.9) + 0.01) * 100))).desiredReplicas, 9);
  });
  test('TestComputedToleranceAlgImplementation/holds just inside the tolerance', () => {
    const result = reconcile(fixture(Math.trunc((1 / (2 * 0.9) + 0.004) * 100)));
    assert.equal(result.desiredReplicas, 10);
    assert.deepEqual(conditionsOf(result), statusOkWithOverrides(READY_FOR_NEW_SCALE));
  });
});

runCases('TestScaleRCImmediately', [
  {
    name: 'scale up to min when below min replicas',
    fixture: {
      minReplicas: 2,
      maxReplicas: 6,
      specReplicas: 1,
      statusReplicas: 1,
      reportedLevels: [0, 0, 0, 0],
      reportedCPURequests: FOUR_ONES,
    },
    expectedDesiredReplicas: 2,
    expectedConditions: [['AbleToScale', 'True', 'SucceededRescale']],
  },
  {
    name: 'scale down to max when above max replicas',
    fixture: {
      minReplicas: 2,
      maxReplicas: 5,
      specReplicas: 6,
      statusReplicas: 6,
      CPUTarget: 50,
      reportedLevels: [8000, 9500, 1000],
      reportedCPURequests: MIXED,
    },
    expectedDesiredReplicas: 5,
    expectedConditions: [['AbleToScale', 'True', 'SucceededRescale']],
  },
]);

describe('TestEventCreation', () => {
  test('TestEventCreation/event created on scale up', () => {
    const result = reconcile({
      minReplicas: 1,
      maxReplicas: 5,
      specReplicas: 1,
      statusReplicas: 1,
      CPUTarget: 50,
      reportedLevels: [200],
      reportedCPURequests: [200],
    });
    assert.equal(result.desiredReplicas, 2);
    assert.equal(result.rescaleReason, 'cpu resource utilization (percentage of request) above target');
  });
  test('TestEventCreation/no event when replicas unchanged', () => {
    const result = reconcile({
      minReplicas: 1,
      maxReplicas: 5,
      specReplicas: 2,
      statusReplicas: 2,
      CPUTarget: 50,
      reportedLevels: [200, 200],
      reportedCPURequests: [400, 400],
    });
    assert.equal(result.rescale, false);
    assert.equal(result.rescaleReason, null);
    assert.deepEqual(conditionsOf(result), statusOkWithOverrides(READY_FOR_NEW_SCALE));
  });
});

runCases('TestScaleToZeroBehavior', [
  {
    name: 'from zero without condition, FG off',
    fixture: {
      minReplicas: 0,
      maxReplicas: 6,
      specReplicas: 0,
      statusReplicas: 0,
      metricsTarget: [objectValue(15000)],
      reportedLevels: [20000],
    },
    expectedDesiredReplicas: 0,
    expectedConditions: SCALING_DISABLED,
  },
  {
    name: 'manual scale to zero disables HPA, FG off',
    fixture: {
      minReplicas: 1,
      maxReplicas: 6,
      specReplicas: 0,
      statusReplicas: 0,
      CPUTarget: 50,
      reportedLevels: [],
      reportedCPURequests: [],
    },
    expectedDesiredReplicas: 0,
    expectedConditions: SCALING_DISABLED,
  },
]);
