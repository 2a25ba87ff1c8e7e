// Port of the legacy half of horizontal.go: what the controller does when an HPA has no spec.behavior. The API server
// only defaults behavior when the field is present, so an HPA without it keeps these older, fixed limits.
import type { Normalization, TimestampedRecommendation } from './behavior.js';
import { type ReasonedReplicas, reasoned } from './conditions.js';

/** `scaleUpLimitFactor` and `scaleUpLimitMinimum`: at most `max(factor × current, minimum)` replicas per sync. */
export interface LegacyScaleUpLimit {
  readonly factor: number;
  readonly minimum: number;
}

/** Upstream's values (2.0 and 4.0); horizontal_test.go raises the factor to 8 in an `init()`. */
export const LEGACY_SCALE_UP_LIMIT: LegacyScaleUpLimit = { factor: 2, minimum: 4 };

/**
 * `stabilizeRecommendation`: the highest recommendation no older than the window (`timestamp >= now - window`,
 * inclusive, unlike the behavior path), so scale-down waits and scale-up is immediate. The new recommendation
 * overwrites the last entry older than the window, or is appended.
 */
export function stabilizeRecommendation(
  recommendations: readonly TimestampedRecommendation[],
  prenormalizedDesiredReplicas: number,
  now: number,
  windowSeconds: number,
): { recommendation: number; recommendations: TimestampedRecommendation[] } {
  const cutoff = now - windowSeconds;
  let recommendation = prenormalizedDesiredReplicas;
  let oldSampleIndex = -1;
  recommendations.forEach((rec, i) => {
    if (rec.timestamp < cutoff) oldSampleIndex = i;
    else if (rec.recommendation > recommendation) recommendation = rec.recommendation;
  });
  const entry: TimestampedRecommendation = { recommendation: prenormalizedDesiredReplicas, timestamp: now };
  return {
    recommendation,
    recommendations:
      oldSampleIndex === -1
        ? [...recommendations, entry]
        : recommendations.map((rec, i) => (i === oldSampleIndex ? entry : rec)),
  };
}

/** `calculateScaleUpLimit`: `int32(max(factor × current, minimum))`, from 1 replica to 4, then doubling per sync. */
export function calculateScaleUpLimit(
  currentReplicas: number,
  limit: LegacyScaleUpLimit = LEGACY_SCALE_UP_LIMIT,
): number {
  return Math.trunc(Math.max(limit.factor * currentReplicas, limit.minimum));
}

/** `convertDesiredReplicasWithRules`: clamps to min, to max and to the legacy scale-up limit (no event history). */
export function convertDesiredReplicasWithRules(
  currentReplicas: number,
  desiredReplicas: number,
  minReplicas: number,
  maxReplicas: number,
  limit: LegacyScaleUpLimit = LEGACY_SCALE_UP_LIMIT,
): ReasonedReplicas {
  const scaleUpLimit = calculateScaleUpLimit(currentReplicas, limit);
  const maximum =
    maxReplicas > scaleUpLimit ? reasoned(scaleUpLimit, 'ScaleUpLimit') : reasoned(maxReplicas, 'TooManyReplicas');
  if (desiredReplicas < minReplicas) return reasoned(minReplicas, 'TooFewReplicas');
  if (desiredReplicas > maximum.replicas) return maximum;
  return reasoned(desiredReplicas, 'DesiredWithinRange');
}

/** Input of {@link normalizeDesiredReplicas}. */
export interface LegacyNormalizationInput {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly currentReplicas: number;
  readonly prenormalizedDesiredReplicas: number;
  /** `--horizontal-pod-autoscaler-downscale-stabilization` (300 s). */
  readonly downscaleStabilizationWindowSeconds: number;
  readonly recommendations: readonly TimestampedRecommendation[];
  readonly scaleUpLimit: LegacyScaleUpLimit;
  readonly now: number;
}

/** `normalizeDesiredReplicas`: legacy stabilization, then {@link convertDesiredReplicasWithRules}. */
export function normalizeDesiredReplicas(input: LegacyNormalizationInput): Normalization {
  const stabilized = stabilizeRecommendation(
    input.recommendations,
    input.prenormalizedDesiredReplicas,
    input.now,
    input.downscaleStabilizationWindowSeconds,
  );
  const limited = convertDesiredReplicasWithRules(
    input.currentReplicas,
    stabilized.recommendation,
    input.minReplicas,
    input.maxReplicas,
    input.scaleUpLimit,
  );
  return {
    desiredReplicas: limited.replicas,
    ableToScale:
      stabilized.recommendation === input.prenormalizedDesiredReplicas ? 'ReadyForNewScale' : 'ScaleDownStabilized',
    scalingLimited: limited.reason,
    limited: limited.replicas !== stabilized.recommendation,
    recommendations: stabilized.recommendations,
  };
}
