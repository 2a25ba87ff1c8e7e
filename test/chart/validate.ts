import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { K8sObject } from './render.js';

/** A kubernetes-models class: constructed from a plain object, `validate()` throws on a schema violation. */
type ModelClass = new (data: never) => { validate(): void };

// biome-ignore lint/suspicious/noExplicitAny: a manifest read field by field.
type Json = any;

function check(ok: boolean, path: string, expectation: string, got: unknown): void {
  if (!ok) throw new Error(`${path} ${expectation} (got ${JSON.stringify(got)})`);
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Gateway API v1 HTTPRoute, the fields the chart renders, checked as the CRD's OpenAPI schema and CEL rules check
 * them (gateway-api v1.2 `gateway.networking.k8s.io_httproutes.yaml`). The chart suites have no Gateway API models
 * package (`@kubernetes-models/gateway-api` is not a dependency yet), so this stands in for it.
 */
class HTTPRouteModel {
  constructor(private readonly route: Json) {}

  validate(): void {
    const spec = this.route.spec;
    check(typeof spec === 'object' && spec !== null, 'spec', 'must be an object', spec);
    const parents = spec.parentRefs ?? [];
    check(Array.isArray(parents) && parents.length <= 32, 'spec.parentRefs', 'must be a list of at most 32', parents);
    parents.forEach((ref: Json, i: number) => {
      check(
        typeof ref.name === 'string' && DNS_SUBDOMAIN.test(ref.name),
        `spec.parentRefs[${i}].name`,
        'must be a DNS subdomain',
        ref.name,
      );
      for (const key of Object.keys(ref)) {
        check(
          ['group', 'kind', 'namespace', 'name', 'sectionName', 'port'].includes(key),
          `spec.parentRefs[${i}]`,
          'has an unknown field',
          key,
        );
      }
    });
    const hostnames = spec.hostnames ?? [];
    check(
      Array.isArray(hostnames) && hostnames.length <= 16,
      'spec.hostnames',
      'must be a list of at most 16',
      hostnames,
    );
    hostnames.forEach((host: unknown, i: number) => {
      check(typeof host === 'string' && HOSTNAME.test(host), `spec.hostnames[${i}]`, 'must be a hostname', host);
    });
    const rules = spec.rules ?? [];
    check(Array.isArray(rules) && rules.length <= 16, 'spec.rules', 'must be a list of at most 16', rules);
    rules.forEach((rule: Json, i: number) => {
      for (const key of Object.keys(rule)) {
        check(
          ['name', 'matches', 'filters', 'backendRefs', 'timeouts', 'retry', 'sessionPersistence'].includes(key),
          `spec.rules[${i}]`,
          'has an unknown field',
          key,
        );
      }
      (rule.matches ?? []).forEach((match: Json, j: number) => {
        const path = match.path;
        if (path === undefined) return;
        const at = `spec.rules[${i}].matches[${j}].path`;
        check(
          ['Exact', 'PathPrefix', 'RegularExpression'].includes(path.type),
          `${at}.type`,
          'must be Exact, PathPrefix or RegularExpression',
          path.type,
        );
        check(
          typeof path.value === 'string' && path.value.startsWith('/') && path.value.length <= 1024,
          `${at}.value`,
          'must be an absolute path',
          path.value,
        );
      });
      (rule.backendRefs ?? []).forEach((backend: Json, j: number) => {
        const at = `spec.rules[${i}].backendRefs[${j}]`;
        check(typeof backend.name === 'string' && backend.name.length > 0, `${at}.name`, 'must be set', backend.name);
        // CEL: a Service backend must name its port.
        check(
          Number.isInteger(backend.port) && backend.port >= 1 && backend.port <= 65535,
          `${at}.port`,
          'must be a port number (required for a Service)',
          backend.port,
        );
      });
    });
  }
}

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
  ['v1/ServiceAccount', ServiceAccount],
  ['networking.k8s.io/v1/Ingress', Ingress],
  ['networking.k8s.io/v1/NetworkPolicy', NetworkPolicy],
  ['monitoring.coreos.com/v1/PrometheusRule', PrometheusRule],
  ['gateway.networking.k8s.io/v1/HTTPRoute', HTTPRouteModel],
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
