// Port of the spec.behavior half of pkg/controller/podautoscaler/horizontal.go (kubernetes 1.33+): stabilization
// windows over the recommendation history, rate limits over the scale-event history, and the event bookkeeping.
// Upstream mutates the controller's per-HPA slices; here each function returns the new history instead, and `now`
// (seconds) replaces time.Now().
import { type NormalizationReason, type ReasonedReplicas, reasoned } from './conditions.js';
import type { Behavior, ScalingRules } from './spec.js';

/** `timestampedRecommendation`: an unstabilized recommendation and when it was made. */
export interface TimestampedRecommendation {
  readonly recommendation: number;
  readonly timestamp: number;
}

/** `timestampedScaleEvent`: the absolute change of one rescale. */
export interface TimestampedScaleEvent {
  readonly replicaChange: number;
  readonly timestamp: number;
  /** Older than the longest policy period when last checked; the slot may be reused. */
  readonly outdated: boolean;
}

/** The controller's `scaleUpEvents[key]` and `scaleDownEvents[key]`. */
export interface ScaleEvents {
  readonly up: readonly TimestampedScaleEvent[];
  readonly down: readonly TimestampedScaleEvent[];
}

/** `getReplicasChangePerPeriod`: the sum of changes younger than the period (`timestamp > now - period`, strict). */
export function getReplicasChangePerPeriod(
  periodSeconds: number,
  events: readonly TimestampedScaleEvent[],
  now: number,
): number {
  const cutoff = now - periodSeconds;
  let replicas = 0;
  for (const event of events) {
    if (event.timestamp > cutoff) replicas += event.replicaChange;
  }
  return replicas;
}

/**
 * The replica count at the start of a policy period: changes in both directions are undone, so a scale-down inside
 * the period frees room for a scale-up and vice versa (kubernetes#108354, fixed by #109058).
 */
function periodStartReplicas(currentReplicas: number, periodSeconds: number, events: ScaleEvents, now: number): number {
  return (
    currentReplicas -
    getReplicasChangePerPeriod(periodSeconds, events.up, now) +
    getReplicasChangePerPeriod(periodSeconds, events.down, now)
  );
}

/**
 * `calculateScaleUpLimitWithScalingRules`: the most replicas the scale-up policies allow now. `Max` takes the most
 * permissive policy, `Min` the least, `Disabled` pins the current count. Percent policies round up.
 */
export function calculateScaleUpLimitWithScalingRules(
  currentReplicas: number,
  events: ScaleEvents,
  rules: ScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const proposals = rules.policies.map((policy) => {
    const start = periodStartReplicas(currentReplicas, policy.periodSeconds, events, now);
    return policy.type === 'Pods' ? start + policy.value : Math.ceil(start * (1 + policy.value / 100));
  });
  return rules.selectPolicy === 'Min' ? Math.min(...proposals) : Math.max(...proposals);
}

/**
 * `calculateScaleDownLimitWithBehaviors`: the fewest replicas the scale-down policies allow now. `Max` (the biggest
 * change) takes the lowest count, `Min` the highest. Percent policies truncate.
 */
export function calculateScaleDownLimitWithBehaviors(
  currentReplicas: number,
  events: ScaleEvents,
  rules: ScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const proposals = rules.policies.map((policy) => {
    const start = periodStartReplicas(currentReplicas, policy.periodSeconds, events, now);
    return policy.type === 'Pods' ? start - policy.value : Math.trunc(start * (1 - policy.value / 100));
  });
  return rules.selectPolicy === 'Min' ? Math.max(...proposals) : Math.min(...proposals);
}

/** Input of {@link stabilizeRecommendationWithBehaviors}. */
export interface StabilizationInput {
  readonly currentReplicas: number;
  /** The pre-normalized recommendation: the maximum over metrics, before any clamping. */
  readonly desiredReplicas: number;
  readonly scaleUpWindowSeconds: number;
  readonly scaleDownWindowSeconds: number;
}

/** Result of a stabilization step: the stabilized count and the recommendation history to keep. */
export interface Stabilization extends ReasonedReplicas {
  readonly recommendations: TimestampedRecommendation[];
}

/**
 * `stabilizeRecommendationWithBehaviors`. Each window acts on its own side only: the scale-up window caps a rise at
 * the lowest recommendation younger than it, the scale-down window holds a fall at the highest one, and the result
 * is anchored on the current count, so stabilization never moves against the recommendation (kubernetes#96671).
 * The new recommendation overwrites the last entry older than both windows, or is appended.
 */
export function stabilizeRecommendationWithBehaviors(
  args: StabilizationInput,
  recommendations: readonly TimestampedRecommendation[],
  now: number,
): Stabilization {
  const upCutoff = now - args.scaleUpWindowSeconds;
  const downCutoff = now - args.scaleDownWindowSeconds;
  let upRecommendation = args.desiredReplicas;
  let downRecommendation = args.desiredReplicas;
  let oldSampleIndex = -1;
  recommendations.forEach((rec, i) => {
    if (rec.timestamp > upCutoff) upRecommendation = Math.min(rec.recommendation, upRecommendation);
    if (rec.timestamp > downCutoff) downRecommendation = Math.max(rec.recommendation, downRecommendation);
    if (rec.timestamp < upCutoff && rec.timestamp < downCutoff) oldSampleIndex = i;
  });
  let recommendation = args.currentReplicas;
  if (recommendation < upRecommendation) recommendation = upRecommendation;
  if (recommendation > downRecommendation) recommendation = downRecommendation;

  const entry: TimestampedRecommendation = { recommendation: args.desiredReplicas, timestamp: now };
  const history =
    oldSampleIndex === -1
      ? [...recommendations, entry]
      : recommendations.map((rec, i) => (i === oldSampleIndex ? entry : rec));
  const reason = args.desiredReplicas >= args.currentReplicas ? 'ScaleUpStabilized' : 'ScaleDownStabilized';
  return { ...reasoned(recommendation, reason), recommendations: history };
}

/** Input of {@link convertDesiredReplicasWithBehaviorRate} (upstream's `NormalizationArg`). */
export interface NormalizationArg {
  readonly scaleUpRules: ScalingRules;
  readonly scaleDownRules: ScalingRules;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly currentReplicas: number;
  readonly desiredReplicas: number;
}

/**
 * `convertDesiredReplicasWithBehaviorRate`: clamps a stabilized recommendation to the policy rate limits and to
 * min/max. A limit behind the current count (a policy changed after many events) holds the current count.
 */
export function convertDesiredReplicasWithBehaviorRate(
  args: NormalizationArg,
  events: ScaleEvents,
  now: number,
): ReasonedReplicas {
  if (args.desiredReplicas > args.currentReplicas) {
    const scaleUpLimit = Math.max(
      args.currentReplicas,
      calculateScaleUpLimitWithScalingRules(args.currentReplicas, events, args.scaleUpRules, now),
    );
    const limited =
      args.maxReplicas > scaleUpLimit
        ? reasoned(scaleUpLimit, 'ScaleUpLimit')
        : reasoned(args.maxReplicas, 'TooManyReplicas');
    if (args.desiredReplicas > limited.replicas) return limited;
  } else if (args.desiredReplicas < args.currentReplicas) {
    const scaleDownLimit = Math.min(
      args.currentReplicas,
      calculateScaleDownLimitWithBehaviors(args.currentReplicas, events, args.scaleDownRules, now),
    );
    const limited =
      args.minReplicas < scaleDownLimit
        ? reasoned(scaleDownLimit, 'ScaleDownLimit')
        : reasoned(args.minReplicas, 'TooFewReplicas');
    if (args.desiredReplicas < limited.replicas) return limited;
  }
  return reasoned(args.desiredReplicas, 'DesiredWithinRange');
}

function longestPolicyPeriod(rules: ScalingRules): number {
  return Math.max(0, ...rules.policies.map((policy) => policy.periodSeconds));
}

/**
 * Records one event in a direction's history (`storeScaleEvent` for one side): events older than the longest policy
 * period are marked outdated (`markScaleEventsOutdated`), and the last outdated slot is reused, else one is appended.
 */
function recordEvent(
  events: readonly TimestampedScaleEvent[],
  rules: ScalingRules,
  replicaChange: number,
  now: number,
): TimestampedScaleEvent[] {
  const cutoff = now - longestPolicyPeriod(rules);
  const marked = events.map((event) => (event.timestamp < cutoff ? { ...event, outdated: true } : event));
  const entry: TimestampedScaleEvent = { replicaChange, timestamp: now, outdated: false };
  const reuse = marked.findLastIndex((event) => event.outdated);
  if (reuse === -1) return [...marked, entry];
  marked[reuse] = entry;
  return marked;
}

/**
 * `storeScaleEvent`, called after a successful rescale. Without `spec.behavior` nothing is stored: the legacy path
 * reads no history.
 */
export function storeScaleEvent(
  behavior: Behavior | null,
  events: ScaleEvents,
  prevReplicas: number,
  newReplicas: number,
  now: number,
): ScaleEvents {
  if (behavior === null) return events;
  if (newReplicas > prevReplicas) {
    return { up: recordEvent(events.up, behavior.scaleUp, newReplicas - prevReplicas, now), down: events.down };
  }
  return { up: events.up, down: recordEvent(events.down, behavior.scaleDown, prevReplicas - newReplicas, now) };
}

/** Result of a normalization step, behavior or legacy. */
export interface Normalization {
  readonly desiredReplicas: number;
  /** Reason of the `AbleToScale=True` condition: `ReadyForNewScale`, `ScaleUpStabilized` or `ScaleDownStabilized`. */
  readonly ableToScale: NormalizationReason;
  /** Reason of the `ScalingLimited` condition, which is `True` when it changed the stabilized count. */
  readonly scalingLimited: NormalizationReason;
  readonly limited: boolean;
  readonly recommendations: TimestampedRecommendation[];
}

/** Input of {@link normalizeDesiredReplicasWithBehaviors}. */
export interface BehaviorNormalizationInput {
  readonly behavior: Behavior;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly currentReplicas: number;
  readonly prenormalizedDesiredReplicas: number;
  /** `--horizontal-pod-autoscaler-downscale-stabilization`, used when the scale-down window is unset (300 s). */
  readonly downscaleStabilizationWindowSeconds: number;
  readonly recommendations: readonly TimestampedRecommendation[];
  readonly events: ScaleEvents;
  readonly now: number;
}

/**
 * `normalizeDesiredReplicasWithBehaviors`: stabilize over the recommendation history
 * (`maybeInitScaleDownStabilizationWindow` first fills an unset scale-down window from the flag), then apply the
 * policy rate limits and min/max.
 */
export function normalizeDesiredReplicasWithBehaviors(input: BehaviorNormalizationInput): Normalization {
  const { scaleUp, scaleDown } = input.behavior;
  const stabilized = stabilizeRecommendationWithBehaviors(
    {
      currentReplicas: input.currentReplicas,
      desiredReplicas: input.prenormalizedDesiredReplicas,
      // GenerateHPAScaleUpRules always sets the scale-up window; only the scale-down one can be unset.
      scaleUpWindowSeconds: scaleUp.stabilizationWindowSeconds ?? 0,
      scaleDownWindowSeconds: scaleDown.stabilizationWindowSeconds ?? input.downscaleStabilizationWindowSeconds,
    },
    input.recommendations,
    input.now,
  );
  const limited = convertDesiredReplicasWithBehaviorRate(
    {
      scaleUpRules: scaleUp,
      scaleDownRules: scaleDown,
      minReplicas: input.minReplicas,
      maxReplicas: input.maxReplicas,
      currentReplicas: input.currentReplicas,
      desiredReplicas: stabilized.replicas,
    },
    input.events,
    input.now,
  );
  return {
    desiredReplicas: limited.replicas,
    ableToScale: stabilized.replicas === input.prenormalizedDesiredReplicas ? 'ReadyForNewScale' : stabilized.reason,
    scalingLimited: limited.reason,
    limited: limited.replicas !== stabilized.replicas,
    recommendations: stabilized.recommendations,
  };
}
