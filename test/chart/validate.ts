import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import type { K8sObject } from './render.js';

/** A kubernetes-models class: constructed from a plain object, `validate()` throws on a schema violation. */
type ModelClass = new (data: never) => { validate(): void };

/** The models of every apiVersion/kind the chart renders. Unknown fields are not caught by these schemas. */
const MODELS: ReadonlyMap<string, ModelClass> = new Map<string, ModelClass>([
  ['apps/v1/Deployment', Deployment],
  ['v1/Service', Service],
  ['v1/ConfigMap', ConfigMap],
  ['v1/Pod', Pod],
  ['autoscaling/v2/HorizontalPodAutoscaler', HorizontalPodAutoscaler],
  ['policy/v1/PodDisruptionBudget', PodDisruptionBudget],
  ['monitoring.coreos.com/v1/ServiceMonitor', ServiceMonitor],
  ['keda.sh/v1alpha1/ScaledObject', ScaledObject],
]);

/**
 * Validates one rendered object against the Kubernetes, prometheus-operator or KEDA OpenAPI schema for its
 * apiVersion and kind. Throws with the object's kind/name and the schema error; throws for a kind with no model.
 */
export function validateObject(object: K8sObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const Model = MODELS.get(key);
  if (!Model) throw new Error(`no schema for ${key} (${object.metadata.name})`);
  try {
    new Model(object as never).validate();
  } catch (error) {
    throw new Error(`${object.kind} ${object.metadata.name} is invalid: ${(error as Error).message}`);
  }
}
