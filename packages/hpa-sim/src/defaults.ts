// Port of pkg/apis/autoscaling/v2/defaults.go: the behavior defaults the API server writes when `spec.behavior` is set.
import type { ScalingRules } from './spec.js';

/** A `spec.behavior.scaleUp`/`scaleDown` block as written: every field optional. */
export type ScalingRulesInput = Partial<ScalingRules>;

/** `defaultHPAScaleUpRules`: no window; the larger of +4 pods and +100% per 15 s. */
export const DEFAULT_SCALE_UP_RULES: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
  tolerance: null,
};

/** `defaultHPAScaleDownRules`: -100% per 15 s; the window stays unset for the controller flag to fill. */
export const DEFAULT_SCALE_DOWN_RULES: ScalingRules = {
  stabilizationWindowSeconds: null,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  tolerance: null,
};

/** `copyHPAScalingRules`: every field given in `from` replaces the default, field by field. */
function copyScalingRules(from: ScalingRulesInput | undefined, to: ScalingRules): ScalingRules {
  if (from === undefined) return to;
  return {
    selectPolicy: from.selectPolicy ?? to.selectPolicy,
    stabilizationWindowSeconds: from.stabilizationWindowSeconds ?? to.stabilizationWindowSeconds,
    policies: from.policies ?? to.policies,
    tolerance: from.tolerance ?? to.tolerance,
  };
}

/** `GenerateHPAScaleUpRules`: a fully initialised scale-up rule set. */
export function generateHPAScaleUpRules(rules?: ScalingRulesInput): ScalingRules {
  return copyScalingRules(rules, DEFAULT_SCALE_UP_RULES);
}

/** `GenerateHPAScaleDownRules`: a fully initialised scale-down rule set (the window may stay `null`). */
export function generateHPAScaleDownRules(rules?: ScalingRulesInput): ScalingRules {
  return copyScalingRules(rules, DEFAULT_SCALE_DOWN_RULES);
}
