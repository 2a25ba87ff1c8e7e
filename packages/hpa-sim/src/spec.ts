// The resolved autoscaling/v2 HPA spec the algorithm works on: quantities already in milli-units, API defaults applied.
// `manifest.ts` builds it from YAML; tests and callers may also write it directly.

/** `spec.behavior.*.selectPolicy`. */
export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

/** One `spec.behavior.*.policies[]` entry. */
export interface ScalingPolicy {
  readonly type: 'Pods' | 'Percent';
  readonly value: number;
  readonly periodSeconds: number;
}

/** `HPAScalingRules` after `GenerateHPAScale{Up,Down}Rules`. */
export interface ScalingRules {
  /**
   * `stabilizationWindowSeconds`. Only the scale-down default is `null`: the controller fills it from
   * `--horizontal-pod-autoscaler-downscale-stabilization` (300 s) at reconcile time and never writes it back.
   */
  readonly stabilizationWindowSeconds: number | null;
  readonly selectPolicy: SelectPolicy;
  readonly policies: readonly ScalingPolicy[];
  /** `tolerance` (KEP-4951) as a float, or `null` for the controller's `--horizontal-pod-autoscaler-tolerance`. */
  readonly tolerance: number | null;
}

/** `spec.behavior` with both directions filled in. */
export interface Behavior {
  readonly scaleUp: ScalingRules;
  readonly scaleDown: ScalingRules;
}

/** `target.type: Utilization`: percent of the pods' requests. */
export interface UtilizationTarget {
  readonly type: 'Utilization';
  readonly averageUtilization: number;
}

/** `target.type: AverageValue`, milli-units per pod. */
export interface AverageValueTarget {
  readonly type: 'AverageValue';
  readonly averageValue: number;
}

/** `target.type: Value`, milli-units in total. */
export interface ValueTarget {
  readonly type: 'Value';
  readonly value: number;
}

/** `type: Pods`. The controller reads `target.averageValue` only, whatever `target.type` says. */
export interface PodsMetricSource {
  readonly type: 'Pods';
  readonly name: string;
  readonly target: AverageValueTarget;
}

/** `type: Resource` (`cpu`, `memory`, ...). */
export interface ResourceMetricSource {
  readonly type: 'Resource';
  readonly name: string;
  readonly target: UtilizationTarget | AverageValueTarget;
}

/** `type: Object`: one value of one Kubernetes object. */
export interface ObjectMetricSource {
  readonly type: 'Object';
  readonly name: string;
  readonly describedObject: { readonly apiVersion: string; readonly kind: string; readonly name: string };
  readonly target: ValueTarget | AverageValueTarget;
}

/** `type: External`: the sum of every series matching the selector. */
export interface ExternalMetricSource {
  readonly type: 'External';
  readonly name: string;
  readonly target: ValueTarget | AverageValueTarget;
}

/** One `spec.metrics[]` entry. */
export type MetricSource = PodsMetricSource | ResourceMetricSource | ObjectMetricSource | ExternalMetricSource;

/** A resolved HorizontalPodAutoscaler spec. */
export interface AutoscalerSpec {
  readonly name: string;
  readonly namespace: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly metrics: readonly MetricSource[];
  /** `null` when the manifest has no `spec.behavior`: the controller then takes its legacy path. */
  readonly behavior: Behavior | null;
}
