// Ports of the spec.behavior tests of horizontal_test.go: TestNormalizeDesiredReplicasWithBehavior,
// TestScalingWithRules, TestStoreScaleEvents, TestCalculateScaleUpLimitWithScalingRules,
// TestCalculateScaleDownLimitWithBehaviors. Times are seconds before NOW.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Behavior,
  calculateScaleDownLimitWithBehaviors,
  calculateScaleUpLimitWithScalingRules,
  convertDesiredReplicasWithBehaviorRate,
  DEFAULT_SCALE_DOWN_RULES,
  DEFAULT_SCALE_UP_RULES,
  generateHPAScaleDownRules,
  generateHPAScaleUpRules,
  getReplicasChangePerPeriod,
  type ScalingRulesInput,
  stabilizeRecommendationWithBehaviors,
  storeScaleEvent,
  type TimestampedRecommendation,
  type TimestampedScaleEvent,
} from '@warmscale/hpa-sim';
import { generateEventsUniformDistribution, generateScalingRules, NOW, recommendations } from './helpers.js';

describe('TestNormalizeDesiredReplicasWithBehavior', () => {
  const cases: {
    name: string;
    recommendations: TimestampedRecommendation[];
    currentReplicas: number;
    prenormalizedDesiredReplicas: number;
    expectedStabilizedReplicas: number;
    expectedRecommendations?: number[];
    scaleUpStabilizationWindowSeconds?: number;
    scaleDownStabilizationWindowSeconds?: number;
  }[] = [
    {
      name: 'empty recommendations for scaling down',
      recommendations: [],
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 5,
      expectedStabilizedReplicas: 5,
      expectedRecommendations: [5],
    },
    {
      name: 'simple scale down stabilization',
      recommendations: recommendations([4, 120], [5, 60]),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 3,
      expectedStabilizedReplicas: 5,
      expectedRecommendations: [4, 5, 3],
      scaleDownStabilizationWindowSeconds: 180,
    },
    {
      name: 'simple scale up stabilization',
      recommendations: recommendations([4, 120], [5, 60]),
      currentReplicas: 1,
      prenormalizedDesiredReplicas: 7,
      expectedStabilizedReplicas: 4,
      expectedRecommendations: [4, 5, 7],
      scaleUpStabilizationWindowSeconds: 300,
    },
    {
      name: 'no scale down stabilization',
      recommendations: recommendations([1, 120], [2, 60]),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 3,
      expectedStabilizedReplicas: 3,
      expectedRecommendations: [1, 2, 3],
      scaleUpStabilizationWindowSeconds: 300,
    },
    {
      name: 'no scale up stabilization',
      recommendations: recommendations([4, 120], [5, 60]),
      currentReplicas: 1,
      prenormalizedDesiredReplicas: 3,
      expectedStabilizedReplicas: 3,
      expectedRecommendations: [4, 5, 3],
      scaleDownStabilizationWindowSeconds: 300,
    },
    {
      name: 'no scale down stabilization, reuse recommendation element',
      recommendations: recommendations([10, 600], [9, 540]),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 3,
      expectedStabilizedReplicas: 3,
      expectedRecommendations: [10, 3],
    },
    {
      name: 'no scale up stabilization, reuse recommendation element',
      recommendations: recommendations([10, 600], [9, 540]),
      currentReplicas: 1,
      prenormalizedDesiredReplicas: 100,
      expectedStabilizedReplicas: 100,
      expectedRecommendations: [10, 100],
    },
    {
      name: 'scale down stabilization, reuse one of obsolete recommendation element',
      recommendations: recommendations([10, 600], [4, 60], [5, 120], [9, 540]),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 3,
      expectedStabilizedReplicas: 5,
      expectedRecommendations: [10, 4, 5, 3],
      scaleDownStabilizationWindowSeconds: 180,
    },
    {
      name: 'scale up stabilization, reuse one of obsolete recommendation element',
      recommendations: recommendations([10, 6000], [6, 60], [5, 120], [9, 180]),
      currentReplicas: 1,
      prenormalizedDesiredReplicas: 100,
      expectedStabilizedReplicas: 5,
      expectedRecommendations: [100, 6, 5, 9],
      scaleUpStabilizationWindowSeconds: 300,
    },
    {
      name: 'scale up and down stabilization, do not scale up when prenormalized rec goes down',
      recommendations: recommendations([2, 6000], [3, 180]),
      currentReplicas: 2,
      prenormalizedDesiredReplicas: 1,
      expectedStabilizedReplicas: 2,
      scaleUpStabilizationWindowSeconds: 300,
      scaleDownStabilizationWindowSeconds: 300,
    },
    {
      name: 'scale up and down stabilization, do not scale down when prenormalized rec goes up',
      recommendations: recommendations([2, 6000], [1, 180]),
      currentReplicas: 2,
      prenormalizedDesiredReplicas: 3,
      expectedStabilizedReplicas: 2,
      scaleUpStabilizationWindowSeconds: 300,
      scaleDownStabilizationWindowSeconds: 300,
    },
  ];
  for (const c of cases) {
    test(`TestNormalizeDesiredReplicasWithBehavior/${c.name}`, () => {
      const result = stabilizeRecommendationWithBehaviors(
        {
          currentReplicas: c.currentReplicas,
          desiredReplicas: c.prenormalizedDesiredReplicas,
          scaleUpWindowSeconds: c.scaleUpStabilizationWindowSeconds ?? 0,
          scaleDownWindowSeconds: c.scaleDownStabilizationWindowSeconds ?? 0,
        },
        c.recommendations,
        NOW,
      );
      assert.equal(result.replicas, c.expectedStabilizedReplicas);
      if (c.expectedRecommendations !== undefined) {
        assert.deepEqual(
          result.recommendations.map((r) => r.recommendation),
          c.expectedRecommendations,
        );
      }
    });
  }

  test('stabilizeRecommendationWithBehaviors leaves the input history unchanged', () => {
    const history = recommendations([10, 600], [9, 540]);
    stabilizeRecommendationWithBehaviors(
      { currentReplicas: 100, desiredReplicas: 3, scaleUpWindowSeconds: 0, scaleDownWindowSeconds: 0 },
      history,
      NOW,
    );
    assert.deepEqual(history, recommendations([10, 600], [9, 540]));
  });
});

describe('TestScalingWithRules', () => {
  const cases: {
    name: string;
    scaleUpEvents?: TimestampedScaleEvent[];
    scaleDownEvents?: TimestampedScaleEvent[];
    specMinReplicas: number;
    specMaxReplicas: number;
    scaleUpRules?: ScalingRulesInput;
    scaleDownRules?: ScalingRulesInput;
    currentReplicas: number;
    prenormalizedDesiredReplicas: number;
    expectedReplicas: number;
    expectedCondition: string;
  }[] = [
    {
      name: 'prenormalized desired replicas within range',
      currentReplicas: 5,
      prenormalizedDesiredReplicas: 7,
      specMinReplicas: 3,
      specMaxReplicas: 8,
      expectedReplicas: 7,
      expectedCondition: 'DesiredWithinRange',
    },
    {
      name: 'prenormalized desired replicas < minReplicas',
      currentReplicas: 3,
      prenormalizedDesiredReplicas: 1,
      specMinReplicas: 2,
      specMaxReplicas: 8,
      expectedReplicas: 2,
      expectedCondition: 'TooFewReplicas',
    },
    {
      name: 'prenormalized desired replicas within range when minReplicas is 0',
      currentReplicas: 1,
      prenormalizedDesiredReplicas: 0,
      specMinReplicas: 0,
      specMaxReplicas: 10,
      expectedReplicas: 0,
      expectedCondition: 'DesiredWithinRange',
    },
    {
      name: 'maxReplicas is the limit because maxReplicas < scaleUpLimit',
      currentReplicas: 20,
      prenormalizedDesiredReplicas: 1000,
      specMinReplicas: 1,
      specMaxReplicas: 10,
      expectedReplicas: 10,
      expectedCondition: 'TooManyReplicas',
    },
    {
      name: 'desired replica count is more than the maximum replica count',
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 1000,
      specMinReplicas: 100,
      specMaxReplicas: 150,
      expectedReplicas: 150,
      expectedCondition: 'TooManyReplicas',
    },
    {
      name: 'scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies',
      currentReplicas: 3,
      prenormalizedDesiredReplicas: 1000,
      specMinReplicas: 1,
      specMaxReplicas: 2000,
      expectedReplicas: 4,
      expectedCondition: 'ScaleUpLimit',
      scaleUpRules: generateScalingRules(0, 0, 1, 60, 0),
    },
    {
      name: 'scaleUp with default behavior',
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 50,
      expectedReplicas: 20,
      expectedCondition: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with pods policy larger than percent policy',
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(100, 60, 100, 60, 0),
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 500,
      expectedReplicas: 110,
      expectedCondition: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with percent policy larger than pods policy',
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(2, 60, 100, 60, 0),
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 500,
      expectedReplicas: 20,
      expectedCondition: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with spec MaxReplicas limitation with large pod policy',
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(100, 60, 0, 0, 0),
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 50,
      expectedReplicas: 50,
      expectedCondition: 'DesiredWithinRange',
    },
    {
      name: 'scaleUp with spec MaxReplicas limitation with large percent policy',
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(10000, 60, 0, 0, 0),
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 50,
      expectedReplicas: 50,
      expectedCondition: 'DesiredWithinRange',
    },
    {
      name: 'scaleUp with pod policy limitation',
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(30, 60, 0, 0, 0),
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 50,
      expectedReplicas: 40,
      expectedCondition: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with percent policy limitation',
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(0, 0, 200, 60, 0),
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 50,
      expectedReplicas: 30,
      expectedCondition: 'ScaleUpLimit',
    },
    {
      name: 'scaleDown with percent policy larger than pod policy',
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(20, 60, 1, 60, 300),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 2,
      expectedReplicas: 80,
      expectedCondition: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with pod policy larger than percent policy',
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(2, 60, 1, 60, 300),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 2,
      expectedReplicas: 98,
      expectedCondition: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with spec MinReplicas limitation with large pod policy',
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(100, 60, 0, 0, 300),
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 0,
      expectedReplicas: 1,
      expectedCondition: 'TooFewReplicas',
    },
    {
      name: 'scaleDown with spec MinReplicas limitation with large percent policy',
      specMinReplicas: 5,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(0, 0, 100, 60, 300),
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 2,
      expectedReplicas: 5,
      expectedCondition: 'TooFewReplicas',
    },
    {
      name: 'scaleDown with pod policy limitation',
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(5, 60, 0, 0, 300),
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 2,
      expectedReplicas: 5,
      expectedCondition: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with percent policy limitation',
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(0, 0, 50, 60, 300),
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 5,
      expectedReplicas: 5,
      expectedCondition: 'DesiredWithinRange',
    },
    {
      name: 'scaleUp with spec MaxReplicas limitation with large pod policy and events',
      scaleUpEvents: generateEventsUniformDistribution([1, 5, 9], 120),
      specMinReplicas: 1,
      specMaxReplicas: 200,
      scaleUpRules: generateScalingRules(300, 60, 0, 0, 0),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 500,
      expectedReplicas: 200,
      expectedCondition: 'TooManyReplicas',
    },
    {
      name: 'scaleUp with spec MaxReplicas limitation with large percent policy and events',
      scaleUpEvents: generateEventsUniformDistribution([1, 5, 9], 120),
      specMinReplicas: 1,
      specMaxReplicas: 200,
      scaleUpRules: generateScalingRules(0, 0, 10000, 60, 0),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 500,
      expectedReplicas: 200,
      expectedCondition: 'TooManyReplicas',
    },
    {
      name: 'scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events',
      scaleUpEvents: generateEventsUniformDistribution([1, 5, 9], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(5, 120, 0, 0, 0),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 500,
      expectedReplicas: 100,
      expectedCondition: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with pod policy and previous scale up events',
      scaleUpEvents: generateEventsUniformDistribution([1, 5, 9], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(150, 120, 0, 0, 0),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 500,
      expectedReplicas: 235,
      expectedCondition: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with percent policy and previous scale up events',
      scaleUpEvents: generateEventsUniformDistribution([1, 5, 9], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(0, 0, 200, 120, 0),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 500,
      expectedReplicas: 255,
      expectedCondition: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with percent policy and previous scale up and down events',
      scaleUpEvents: generateEventsUniformDistribution([4], 120),
      scaleDownEvents: generateEventsUniformDistribution([2], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(0, 0, 300, 300, 0),
      currentReplicas: 6,
      prenormalizedDesiredReplicas: 24,
      expectedReplicas: 16,
      expectedCondition: 'ScaleUpLimit',
    },
    {
      name: 'scaleDown with default policy and previous events',
      scaleDownEvents: generateEventsUniformDistribution([1, 5, 9], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 5,
      expectedReplicas: 5,
      expectedCondition: 'DesiredWithinRange',
    },
    {
      name: 'scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events',
      scaleDownEvents: generateEventsUniformDistribution([1, 5, 9], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(115, 120, 0, 0, 300),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 0,
      expectedReplicas: 1,
      expectedCondition: 'TooFewReplicas',
    },
    {
      name: 'scaleDown with spec MinReplicas limitation with large pod policy and previous events',
      scaleDownEvents: generateEventsUniformDistribution([1, 5, 9], 120),
      specMinReplicas: 5,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(130, 120, 0, 0, 300),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 0,
      expectedReplicas: 5,
      expectedCondition: 'TooFewReplicas',
    },
    {
      name: 'scaleDown with spec MinReplicas limitation with large percent policy and previous events',
      scaleDownEvents: generateEventsUniformDistribution([1, 5, 9], 120),
      specMinReplicas: 5,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(0, 0, 100, 120, 300),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 2,
      expectedReplicas: 5,
      expectedCondition: 'TooFewReplicas',
    },
    {
      name: 'scaleDown with pod policy limitation and previous events',
      scaleDownEvents: generateEventsUniformDistribution([1, 5, 9], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(5, 120, 0, 0, 300),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 2,
      expectedReplicas: 100,
      expectedCondition: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with percent policy limitation and previous events',
      scaleDownEvents: generateEventsUniformDistribution([2, 4, 6], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(0, 0, 50, 120, 300),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 0,
      expectedReplicas: 56,
      expectedCondition: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with percent policy and previous scale up and down events',
      scaleUpEvents: generateEventsUniformDistribution([2], 120),
      scaleDownEvents: generateEventsUniformDistribution([4], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(0, 0, 50, 180, 0),
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 1,
      expectedReplicas: 6,
      expectedCondition: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with previous events preventing further scale down',
      scaleDownEvents: generateEventsUniformDistribution([10, 10, 10], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(0, 0, 10, 120, 300),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 0,
      expectedReplicas: 100,
      expectedCondition: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with with previous events still allowing more scale down',
      scaleDownEvents: generateEventsUniformDistribution([10, 10, 10], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(0, 0, 1000, 120, 300),
      currentReplicas: 10,
      prenormalizedDesiredReplicas: 5,
      expectedReplicas: 5,
      expectedCondition: 'DesiredWithinRange',
    },
    {
      name: "check 'outdated' flag for events for one behavior for up",
      scaleUpEvents: generateEventsUniformDistribution([8, 12, 9, 11], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(1000, 60, 0, 0, 0),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 200,
      expectedReplicas: 200,
      expectedCondition: 'DesiredWithinRange',
    },
    {
      name: "check that events were not marked 'outdated' for two different policies in the behavior for up",
      scaleUpEvents: generateEventsUniformDistribution([8, 12, 9, 11], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(1000, 120, 100, 60, 0),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 200,
      expectedReplicas: 200,
      expectedCondition: 'DesiredWithinRange',
    },
    {
      name: "check that events were marked 'outdated' for two different policies in the behavior for up",
      scaleUpEvents: generateEventsUniformDistribution([8, 12, 9, 11], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleUpRules: generateScalingRules(1000, 30, 100, 60, 0),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 200,
      expectedReplicas: 200,
      expectedCondition: 'DesiredWithinRange',
    },
    {
      name: "check 'outdated' flag for events for one behavior for down",
      scaleDownEvents: generateEventsUniformDistribution([8, 12, 9, 11], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(1000, 60, 0, 0, 300),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 5,
      expectedReplicas: 5,
      expectedCondition: 'DesiredWithinRange',
    },
    {
      name: "check that events were not marked 'outdated' for two different policies in the behavior for down",
      scaleDownEvents: generateEventsUniformDistribution([8, 12, 9, 11], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(1000, 120, 100, 60, 300),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 5,
      expectedReplicas: 5,
      expectedCondition: 'DesiredWithinRange',
    },
    {
      name: "check that events were marked 'outdated' for two different policies in the behavior for down",
      scaleDownEvents: generateEventsUniformDistribution([8, 12, 9, 11], 120),
      specMinReplicas: 1,
      specMaxReplicas: 1000,
      scaleDownRules: generateScalingRules(1000, 30, 100, 60, 300),
      currentReplicas: 100,
      prenormalizedDesiredReplicas: 5,
      expectedReplicas: 5,
      expectedCondition: 'DesiredWithinRange',
    },
  ];
  for (const c of cases) {
    test(`TestScalingWithRules/${c.name}`, () => {
      const result = convertDesiredReplicasWithBehaviorRate(
        {
          scaleUpRules: generateHPAScaleUpRules(c.scaleUpRules),
          scaleDownRules: generateHPAScaleDownRules(c.scaleDownRules),
          minReplicas: c.specMinReplicas,
          maxReplicas: c.specMaxReplicas,
          currentReplicas: c.currentReplicas,
          desiredReplicas: c.prenormalizedDesiredReplicas,
        },
        { up: c.scaleUpEvents ?? [], down: c.scaleDownEvents ?? [] },
        NOW,
      );
      assert.deepEqual([result.replicas, result.reason], [c.expectedReplicas, c.expectedCondition]);
    });
  }
});

describe('TestStoreScaleEvents', () => {
  const event = (replicaChange: number, ago: number, outdated = false): TimestampedScaleEvent => ({
    replicaChange,
    timestamp: NOW - ago,
    outdated,
  });
  const cases: {
    name: string;
    replicaChange: number;
    prevScaleEvents: TimestampedScaleEvent[];
    newScaleEvents: [number, boolean][];
    scalingRules?: ScalingRulesInput;
    expectedReplicasChange: number;
  }[] = [
    {
      name: 'empty entries with default behavior',
      replicaChange: 5,
      prevScaleEvents: [],
      newScaleEvents: [],
      expectedReplicasChange: 0,
    },
    {
      name: 'empty entries with two-policy-behavior',
      replicaChange: 5,
      prevScaleEvents: [],
      newScaleEvents: [[5, false]],
      scalingRules: generateScalingRules(10, 60, 100, 60, 0),
      expectedReplicasChange: 0,
    },
    {
      name: 'one outdated entry to be kept untouched without behavior',
      replicaChange: 5,
      prevScaleEvents: [event(7, 61)],
      newScaleEvents: [[7, false]],
      expectedReplicasChange: 0,
    },
    {
      name: 'one outdated entry to be replaced with behavior',
      replicaChange: 5,
      prevScaleEvents: [event(7, 61)],
      newScaleEvents: [[5, false]],
      scalingRules: generateScalingRules(10, 60, 100, 60, 0),
      expectedReplicasChange: 0,
    },
    {
      name: 'one actual entry to be not touched with behavior',
      replicaChange: 5,
      prevScaleEvents: [event(7, 58)],
      newScaleEvents: [
        [7, false],
        [5, false],
      ],
      scalingRules: generateScalingRules(10, 60, 100, 60, 0),
      expectedReplicasChange: 7,
    },
    {
      name: 'two entries, one of them to be replaced',
      replicaChange: 5,
      prevScaleEvents: [event(7, 61), event(6, 59)],
      newScaleEvents: [
        [5, false],
        [6, false],
      ],
      scalingRules: generateScalingRules(10, 60, 0, 0, 0),
      expectedReplicasChange: 6,
    },
    {
      name: 'replace one entry, use policies with different periods',
      replicaChange: 5,
      prevScaleEvents: [event(8, 29), event(6, 59), event(7, 61), event(9, 61)],
      newScaleEvents: [
        [8, false],
        [6, false],
        [7, true],
        [5, false],
      ],
      scalingRules: generateScalingRules(10, 60, 100, 30, 0),
      expectedReplicasChange: 14,
    },
    {
      name: 'two entries, both actual',
      replicaChange: 5,
      prevScaleEvents: [event(7, 58), event(6, 59)],
      newScaleEvents: [
        [7, false],
        [6, false],
        [5, false],
      ],
      scalingRules: generateScalingRules(10, 120, 100, 30, 0),
      expectedReplicasChange: 13,
    },
  ];
  for (const c of cases) {
    test(`TestStoreScaleEvents/${c.name}`, () => {
      const rules = c.scalingRules === undefined ? undefined : c.scalingRules;
      const behaviorUp: Behavior | null =
        rules === undefined ? null : { scaleUp: generateHPAScaleUpRules(rules), scaleDown: DEFAULT_SCALE_DOWN_RULES };
      const behaviorDown: Behavior | null =
        rules === undefined ? null : { scaleUp: DEFAULT_SCALE_UP_RULES, scaleDown: generateHPAScaleDownRules(rules) };
      const shape = (events: readonly TimestampedScaleEvent[]) => events.map((e) => [e.replicaChange, e.outdated]);

      assert.equal(getReplicasChangePerPeriod(60, c.prevScaleEvents, NOW), c.expectedReplicasChange);
      const up = storeScaleEvent(behaviorUp, { up: c.prevScaleEvents, down: [] }, 10, 10 + c.replicaChange, NOW);
      assert.deepEqual(shape(up.up), c.newScaleEvents, 'up');
      const down = storeScaleEvent(behaviorDown, { up: [], down: c.prevScaleEvents }, 10, 10 - c.replicaChange, NOW);
      assert.deepEqual(shape(down.down), c.newScaleEvents, 'down');
    });
  }
});

test('TestCalculateScaleUpLimitWithScalingRules', () => {
  const rules = generateHPAScaleUpRules({
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Min',
    policies: [
      { type: 'Pods', value: 2, periodSeconds: 60 },
      { type: 'Percent', value: 50, periodSeconds: 60 },
    ],
  });
  assert.equal(calculateScaleUpLimitWithScalingRules(1, { up: [], down: [] }, rules, NOW), 2);
});

test('TestCalculateScaleDownLimitWithBehaviors', () => {
  const rules = generateHPAScaleDownRules({
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Min',
    policies: [
      { type: 'Pods', value: 2, periodSeconds: 60 },
      { type: 'Percent', value: 50, periodSeconds: 60 },
    ],
  });
  assert.equal(calculateScaleDownLimitWithBehaviors(5, { up: [], down: [] }, rules, NOW), 3);
});

describe('selectPolicy: Disabled pins the direction', () => {
  const disabled = generateHPAScaleUpRules({ selectPolicy: 'Disabled' });
  test('a disabled scale-up reports ScaleUpLimit at the current count', () => {
    const result = convertDesiredReplicasWithBehaviorRate(
      {
        scaleUpRules: disabled,
        scaleDownRules: DEFAULT_SCALE_DOWN_RULES,
        minReplicas: 1,
        maxReplicas: 10,
        currentReplicas: 3,
        desiredReplicas: 8,
      },
      { up: [], down: [] },
      NOW,
    );
    assert.deepEqual([result.replicas, result.reason], [3, 'ScaleUpLimit']);
  });
  test('a disabled scale-down reports ScaleDownLimit at the current count', () => {
    const result = convertDesiredReplicasWithBehaviorRate(
      {
        scaleUpRules: DEFAULT_SCALE_UP_RULES,
        scaleDownRules: generateHPAScaleDownRules({ selectPolicy: 'Disabled' }),
        minReplicas: 1,
        maxReplicas: 10,
        currentReplicas: 3,
        desiredReplicas: 1,
      },
      { up: [], down: [] },
      NOW,
    );
    assert.deepEqual([result.replicas, result.reason], [3, 'ScaleDownLimit']);
  });
});
