// The HPA status conditions the controller sets, with upstream's reasons and messages.

/** `HorizontalPodAutoscalerConditionType`s the port sets (`ScaledToZero` needs an alpha gate and is not modelled). */
export type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

/** One `status.conditions[]` entry, without `lastTransitionTime`. */
export interface Condition {
  readonly type: ConditionType;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

/**
 * `setConditionInList`: replaces the condition of that type in place, or appends it, so the order is the order in
 * which each type was first set (the order the upstream tests assert).
 */
export function setCondition(conditions: readonly Condition[], condition: Condition): Condition[] {
  const index = conditions.findIndex((existing) => existing.type === condition.type);
  if (index === -1) return [...conditions, condition];
  return conditions.map((existing, i) => (i === index ? condition : existing));
}

/** Messages of the reasons the normalization step reports, as upstream writes them. */
export const REASON_MESSAGES = {
  ReadyForNewScale: 'recommended size matches current size',
  ScaleUpStabilized: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
  ScaleDownStabilized:
    'recent recommendations were higher than current one, applying the highest recent recommendation',
  DesiredWithinRange: 'the desired count is within the acceptable range',
  ScaleUpLimit: 'the desired replica count is increasing faster than the maximum scale rate',
  TooManyReplicas: 'the desired replica count is more than the maximum replica count',
  ScaleDownLimit: 'the desired replica count is decreasing faster than the maximum scale rate',
  TooFewReplicas: 'the desired replica count is less than the minimum replica count',
} as const;

/** A reason of the `AbleToScale` (stabilization) or `ScalingLimited` (rate limit, min/max) condition. */
export type NormalizationReason = keyof typeof REASON_MESSAGES;

/** A replica count with the reason that explains it. */
export interface ReasonedReplicas {
  readonly replicas: number;
  readonly reason: NormalizationReason;
  readonly message: string;
}

/** Pairs a count with its reason and upstream's message for that reason. */
export function reasoned(replicas: number, reason: NormalizationReason): ReasonedReplicas {
  return { replicas, reason, message: REASON_MESSAGES[reason] };
}
