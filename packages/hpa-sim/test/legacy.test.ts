// Ports of the legacy-path tests of horizontal_test.go: TestNormalizeDesiredReplicas (stabilizeRecommendation with
// the 5 min window) and TestConvertDesiredReplicasWithRules.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  calculateScaleUpLimit,
  convertDesiredReplicasWithRules,
  stabilizeRecommendation,
  type TimestampedRecommendation,
} from '@warmscale/hpa-sim';
import { NOW, recommendations } from './helpers.js';

describe('TestNormalizeDesiredReplicas', () => {
  const cases: {
    name: string;
    recommendations: TimestampedRecommendation[];
    prenormalizedDesiredReplicas: number;
    expectedStabilizedReplicas: number;
    expectedLogLength: number;
  }[] = [
    {
      name: 'empty log',
      recommendations: [],
      prenormalizedDesiredReplicas: 5,
      expectedStabilizedReplicas: 5,
      expectedLogLength: 1,
    },
    {
      name: 'stabilize',
      recommendations: recommendations([4, 120], [5, 60]),
      prenormalizedDesiredReplicas: 3,
      expectedStabilizedReplicas: 5,
      expectedLogLength: 3,
    },
    {
      name: 'no stabilize',
      recommendations: recommendations([1, 120], [2, 60]),
      prenormalizedDesiredReplicas: 3,
      expectedStabilizedReplicas: 3,
      expectedLogLength: 3,
    },
    {
      name: 'no stabilize - old recommendations',
      recommendations: recommendations([10, 600], [9, 540]),
      prenormalizedDesiredReplicas: 3,
      expectedStabilizedReplicas: 3,
      expectedLogLength: 2,
    },
    {
      name: 'stabilize - old recommendations',
      recommendations: recommendations([10, 600], [4, 60], [5, 120], [9, 540]),
      prenormalizedDesiredReplicas: 3,
      expectedStabilizedReplicas: 5,
      expectedLogLength: 4,
    },
  ];
  for (const c of cases) {
    test(`TestNormalizeDesiredReplicas/${c.name}`, () => {
      const result = stabilizeRecommendation(c.recommendations, c.prenormalizedDesiredReplicas, NOW, 300);
      assert.deepEqual(
        [result.recommendation, result.recommendations.length],
        [c.expectedStabilizedReplicas, c.expectedLogLength],
      );
    });
  }

  test('stabilizeRecommendation counts a recommendation exactly one window old (inclusive edge)', () => {
    assert.equal(stabilizeRecommendation(recommendations([7, 300]), 3, NOW, 300).recommendation, 7);
  });
});

describe('TestConvertDesiredReplicasWithRules', () => {
  const cases: [string, number, number, number, number, number, string][] = [
    // annotation, current, desired, min, max, converted, condition
    ['prenormalized desired replicas within range', 5, 7, 3, 8, 7, 'DesiredWithinRange'],
    ['prenormalized desired replicas < minReplicas', 3, 1, 2, 8, 2, 'TooFewReplicas'],
    ['prenormalized desired zeroed replicas within range', 1, 0, 0, 10, 0, 'DesiredWithinRange'],
    ['maxReplicas is the limit because maxReplicas < scaleUpLimit', 20, 1000, 1, 10, 10, 'TooManyReplicas'],
    [
      'scaleUpLimit is the limit because scaleUpLimit < maxReplicas',
      3,
      1000,
      1,
      2000,
      calculateScaleUpLimit(3),
      'ScaleUpLimit',
    ],
  ];
  for (const [annotation, current, desired, min, max, converted, reason] of cases) {
    test(`TestConvertDesiredReplicasWithRules/${annotation}`, () => {
      const result = convertDesiredReplicasWithRules(current, desired, min, max);
      assert.deepEqual([result.replicas, result.reason], [converted, reason]);
    });
  }

  test('calculateScaleUpLimit is max(2 × current, 4)', () => {
    assert.deepEqual(
      [1, 2, 3, 10].map((current) => calculateScaleUpLimit(current)),
      [4, 4, 6, 20],
    );
  });
});
