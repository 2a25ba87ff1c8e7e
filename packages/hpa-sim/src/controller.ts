// The controller's per-HPA memory around reconcileAutoscaler: what a loop calling the algorithm every sync period
// needs, and a one-shot decision for a single sync. Deterministic: time only enters through `observation.now`.
import { type HorizontalPodAutoscalerManifest, parseHpa } from './manifest.js';
import type { MetricsSnapshot, Observation } from './observation.js';
import {
  type AutoscalerState,
  type ControllerOptions,
  type ControllerOptionsInput,
  type ReconcileResult,
  reconcileAutoscaler,
  resolveControllerOptions,
} from './reconcile.js';
import type { AutoscalerSpec } from './spec.js';

/** An HPA as a resolved spec, a manifest object, or YAML text (a single document or `helm template` output). */
export type HpaInput = AutoscalerSpec | HorizontalPodAutoscalerManifest | string;

/** Resolves any {@link HpaInput}; `name` picks one HPA out of a multi-document YAML string. */
export function resolveHpa(hpa: HpaInput, name?: string): AutoscalerSpec {
  if (typeof hpa === 'string' || 'kind' in hpa) return parseHpa(hpa, name);
  return hpa;
}

/** The controller's key for an HPA: `namespace/name`. */
export function hpaKey(spec: AutoscalerSpec): string {
  return `${spec.namespace}/${spec.name}`;
}

/**
 * A HorizontalPodAutoscaler controller for a loop you drive: it keeps, per HPA key, the recommendation history and
 * the scale-up/scale-down event histories that kube-controller-manager keeps in memory, and runs one
 * {@link reconcileAutoscaler} per call. It never reads a clock and assumes each rescale it returns is applied.
 */
export class HorizontalController {
  readonly options: ControllerOptions;
  readonly #states = new Map<string, AutoscalerState>();

  constructor(options: ControllerOptionsInput = {}) {
    this.options = resolveControllerOptions(options);
  }

  /** One sync of `hpa` at `observation.now`; remembers the histories for the next call with the same HPA key. */
  reconcile(hpa: HpaInput, observation: Observation): ReconcileResult {
    const spec = resolveHpa(hpa);
    const key = hpaKey(spec);
    const result = reconcileAutoscaler(spec, this.#states.get(key), observation, this.options);
    this.#states.set(key, result.state);
    return result;
  }

  /** The histories kept for an HPA key (`namespace/name`), if any. */
  stateOf(key: string): AutoscalerState | undefined {
    return this.#states.get(key);
  }

  /** Forgets an HPA, as the controller does when the HPA is deleted (and, in effect, on a restart). */
  delete(key: string): void {
    this.#states.delete(key);
  }
}

/** Input of {@link decideReplicas}. */
export interface DecisionInput {
  readonly hpa: HpaInput;
  /** Picks the HPA by name when the YAML holds several. */
  readonly hpaName?: string;
  /** `scale.spec.replicas`. */
  readonly currentReplicas: number;
  /** `scale.status.replicas`. @defaultValue `currentReplicas` */
  readonly statusReplicas?: number;
  readonly metrics: MetricsSnapshot;
  /** @defaultValue the pods named in `metrics` (see {@link Observation.pods}) */
  readonly pods?: Observation['pods'];
  /** @defaultValue 0 */
  readonly now?: number;
  /** Histories from earlier syncs. @defaultValue none: a first sync, which seeds the scale-down window */
  readonly state?: AutoscalerState;
  readonly options?: ControllerOptionsInput;
}

/**
 * What one sync of the controller decides for this HPA, replica count and these samples. Without `state` it is a
 * first sync: the history is seeded with `currentReplicas`, so with a scale-down window nothing scales down yet
 * (`metricDesiredReplicas` still shows the metric-driven count).
 */
export function decideReplicas(input: DecisionInput): ReconcileResult {
  const observation: Observation = {
    now: input.now ?? 0,
    specReplicas: input.currentReplicas,
    metrics: input.metrics,
    ...(input.statusReplicas === undefined ? {} : { statusReplicas: input.statusReplicas }),
    ...(input.pods === undefined ? {} : { pods: input.pods }),
  };
  return reconcileAutoscaler(resolveHpa(input.hpa, input.hpaName), input.state, observation, input.options);
}
