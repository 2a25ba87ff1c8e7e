// Reads an autoscaling/v2 HorizontalPodAutoscaler manifest (an object, a YAML document, or `helm template` output)
// into an AutoscalerSpec: the API server's defaults (SetDefaults_HorizontalPodAutoscaler) and the validation rules
// the algorithm relies on (pkg/apis/autoscaling/validation), with errors that name the field.
import { parseAllDocuments } from 'yaml';
import { generateHPAScaleDownRules, generateHPAScaleUpRules, type ScalingRulesInput } from './defaults.js';
import { parseQuantity, QuantityError } from './quantity.js';
import type {
  AutoscalerSpec,
  AverageValueTarget,
  Behavior,
  MetricSource,
  ScalingPolicy,
  SelectPolicy,
  UtilizationTarget,
  ValueTarget,
} from './spec.js';

/** Thrown for YAML that is not a usable HPA; the message names the field and what was expected. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

/** A quantity as YAML carries it: `"50"`, `"500m"` or a bare number. */
export type QuantityInput = string | number;

/** `spec.metrics[].*.target` as written. */
export interface MetricTargetManifest {
  readonly type?: string;
  readonly value?: QuantityInput;
  readonly averageValue?: QuantityInput;
  readonly averageUtilization?: number;
}

/** One `spec.metrics[]` entry as written (the autoscaling/v2 shape). */
export interface MetricSpecManifest {
  readonly type: string;
  readonly pods?: { readonly metric: { readonly name: string }; readonly target: MetricTargetManifest };
  readonly resource?: { readonly name: string; readonly target: MetricTargetManifest };
  readonly object?: {
    readonly describedObject: { readonly apiVersion?: string; readonly kind: string; readonly name: string };
    readonly metric: { readonly name: string };
    readonly target: MetricTargetManifest;
  };
  readonly external?: { readonly metric: { readonly name: string }; readonly target: MetricTargetManifest };
}

/** `spec.behavior.scaleUp` / `scaleDown` as written. */
export interface ScalingRulesManifest {
  readonly stabilizationWindowSeconds?: number;
  readonly selectPolicy?: string;
  readonly policies?: readonly { readonly type: string; readonly value: number; readonly periodSeconds: number }[];
  readonly tolerance?: QuantityInput;
}

/** An autoscaling/v2 HorizontalPodAutoscaler as written in YAML or JSON. */
export interface HorizontalPodAutoscalerManifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: {
    readonly minReplicas?: number;
    readonly maxReplicas: number;
    readonly metrics?: readonly MetricSpecManifest[];
    readonly behavior?: { readonly scaleUp?: ScalingRulesManifest; readonly scaleDown?: ScalingRulesManifest };
  };
}

type Json = Record<string, unknown>;

function fail(path: string, expectation: string, got: unknown): never {
  throw new ManifestError(`${path} ${expectation} (got ${JSON.stringify(got) ?? String(got)})`);
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be a mapping', value);
  return value as Json;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') fail(path, 'must be a non-empty string', value);
  return value;
}

function integer(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(
      path,
      max === Number.MAX_SAFE_INTEGER ? `must be an integer >= ${min}` : `must be an integer in [${min}, ${max}]`,
      value,
    );
  }
  return value;
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) fail(path, `must be one of ${allowed.join(', ')}`, value);
  return value as T;
}

/** A quantity in milli-units; `positive` rejects zero as the validation of targets does. */
function quantity(value: unknown, path: string, positive: boolean): { milliValue: number; value: number } {
  if (typeof value !== 'string' && typeof value !== 'number')
    fail(path, 'must be a quantity such as "50" or "500m"', value);
  let parsed: { milliValue: number; value: number };
  try {
    parsed = parseQuantity(value);
  } catch (error) {
    if (error instanceof QuantityError) throw new ManifestError(`${path}: ${error.message}`);
    throw error;
  }
  if (parsed.milliValue < 0 || (positive && parsed.milliValue === 0)) {
    fail(path, positive ? 'must be a positive quantity' : 'must not be negative', value);
  }
  return parsed;
}

function averageValue(target: Json, path: string): AverageValueTarget {
  return { type: 'AverageValue', averageValue: quantity(target.averageValue, `${path}.averageValue`, true).milliValue };
}

function value(target: Json, path: string): ValueTarget {
  return { type: 'Value', value: quantity(target.value, `${path}.value`, true).milliValue };
}

function utilization(target: Json, path: string): UtilizationTarget {
  return {
    type: 'Utilization',
    averageUtilization: integer(target.averageUtilization, `${path}.averageUtilization`, 1),
  };
}

function metricName(source: Json, path: string): string {
  return string(object(source.metric, `${path}.metric`).name, `${path}.metric.name`);
}

// Target selection mirrors the controller, not the `type` field: it reads averageValue for Pods metrics, and for
// Resource and External metrics averageValue wins when set.
function metricSource(raw: unknown, path: string): MetricSource {
  const metric = object(raw, path);
  const type = string(metric.type, `${path}.type`);
  switch (type) {
    case 'Pods': {
      const pods = object(metric.pods, `${path}.pods`);
      const target = object(pods.target, `${path}.pods.target`);
      return {
        type: 'Pods',
        name: metricName(pods, `${path}.pods`),
        target: averageValue(target, `${path}.pods.target`),
      };
    }
    case 'Resource': {
      const resource = object(metric.resource, `${path}.resource`);
      const targetPath = `${path}.resource.target`;
      const target = object(resource.target, targetPath);
      return {
        type: 'Resource',
        name: string(resource.name, `${path}.resource.name`),
        target: target.averageValue === undefined ? utilization(target, targetPath) : averageValue(target, targetPath),
      };
    }
    case 'Object': {
      const source = object(metric.object, `${path}.object`);
      const described = object(source.describedObject, `${path}.object.describedObject`);
      const targetPath = `${path}.object.target`;
      const target = object(source.target, targetPath);
      const targetType = oneOf(target.type, `${targetPath}.type`, ['Value', 'AverageValue'] as const);
      return {
        type: 'Object',
        name: metricName(source, `${path}.object`),
        describedObject: {
          apiVersion: typeof described.apiVersion === 'string' ? described.apiVersion : '',
          kind: string(described.kind, `${path}.object.describedObject.kind`),
          name: string(described.name, `${path}.object.describedObject.name`),
        },
        target: targetType === 'Value' ? value(target, targetPath) : averageValue(target, targetPath),
      };
    }
    case 'External': {
      const source = object(metric.external, `${path}.external`);
      const targetPath = `${path}.external.target`;
      const target = object(source.target, targetPath);
      return {
        type: 'External',
        name: metricName(source, `${path}.external`),
        target: target.averageValue === undefined ? value(target, targetPath) : averageValue(target, targetPath),
      };
    }
    case 'ContainerResource':
      throw new ManifestError(`${path}.type ContainerResource is not supported: use a Resource metric`);
    default:
      return fail(`${path}.type`, 'must be one of Pods, Resource, Object, External', type);
  }
}

function scalingRules(raw: unknown, path: string): ScalingRulesInput | undefined {
  if (raw === undefined || raw === null) return undefined;
  const rules = object(raw, path);
  const input: { -readonly [K in keyof ScalingRulesInput]: ScalingRulesInput[K] } = {};
  if (rules.stabilizationWindowSeconds !== undefined) {
    input.stabilizationWindowSeconds = integer(
      rules.stabilizationWindowSeconds,
      `${path}.stabilizationWindowSeconds`,
      0,
      3600,
    );
  }
  if (rules.selectPolicy !== undefined) {
    input.selectPolicy = oneOf<SelectPolicy>(rules.selectPolicy, `${path}.selectPolicy`, ['Max', 'Min', 'Disabled']);
  }
  if (rules.policies !== undefined) {
    if (!Array.isArray(rules.policies) || rules.policies.length === 0) {
      fail(`${path}.policies`, 'must list at least one policy', rules.policies);
    }
    input.policies = rules.policies.map((entry: unknown, i: number): ScalingPolicy => {
      const policyPath = `${path}.policies[${i}]`;
      const policy = object(entry, policyPath);
      return {
        type: oneOf(policy.type, `${policyPath}.type`, ['Pods', 'Percent'] as const),
        value: integer(policy.value, `${policyPath}.value`, 1),
        periodSeconds: integer(policy.periodSeconds, `${policyPath}.periodSeconds`, 1, 1800),
      };
    });
  }
  if (rules.tolerance !== undefined) input.tolerance = quantity(rules.tolerance, `${path}.tolerance`, false).value;
  return input;
}

function behavior(raw: unknown): Behavior | null {
  // Only a present spec.behavior is defaulted; without it the controller takes the legacy path.
  if (raw === undefined || raw === null) return null;
  const rules = object(raw, 'spec.behavior');
  return {
    scaleUp: generateHPAScaleUpRules(scalingRules(rules.scaleUp, 'spec.behavior.scaleUp')),
    scaleDown: generateHPAScaleDownRules(scalingRules(rules.scaleDown, 'spec.behavior.scaleDown')),
  };
}

// SetDefaults_HorizontalPodAutoscaler: an HPA without metrics targets 80% CPU.
const DEFAULT_METRICS: readonly MetricSource[] = [
  { type: 'Resource', name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
];

/**
 * Validates an autoscaling/v2 HorizontalPodAutoscaler object and resolves it (defaults applied, quantities in
 * milli-units). A string is read as YAML, possibly several documents (`helm template` output): see {@link pickHpa}.
 *
 * @throws ManifestError naming the first offending field.
 */
export function parseHpa(manifest: HorizontalPodAutoscalerManifest | string, name?: string): AutoscalerSpec {
  const hpa = object(typeof manifest === 'string' ? pickHpa(manifest, name) : manifest, 'manifest');
  oneOf(hpa.apiVersion, 'apiVersion', ['autoscaling/v2', 'autoscaling/v2beta2']);
  oneOf(hpa.kind, 'kind', ['HorizontalPodAutoscaler']);
  const metadata = object(hpa.metadata, 'metadata');
  const spec = object(hpa.spec, 'spec');
  const minReplicas = spec.minReplicas === undefined ? 1 : integer(spec.minReplicas, 'spec.minReplicas', 1);
  const maxReplicas = integer(spec.maxReplicas, 'spec.maxReplicas', 1);
  if (maxReplicas < minReplicas) {
    throw new ManifestError(`spec.maxReplicas must be >= spec.minReplicas (got ${maxReplicas} < ${minReplicas})`);
  }
  const metrics = spec.metrics ?? [];
  if (!Array.isArray(metrics)) fail('spec.metrics', 'must be a list', metrics);
  return {
    name: string(metadata.name, 'metadata.name'),
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : 'default',
    minReplicas,
    maxReplicas,
    metrics:
      metrics.length === 0
        ? DEFAULT_METRICS
        : metrics.map((m: unknown, i: number) => metricSource(m, `spec.metrics[${i}]`)),
    behavior: behavior(spec.behavior),
  };
}

/**
 * Picks the HorizontalPodAutoscaler out of a YAML stream such as `helm template` output. With several HPAs, `name`
 * selects one.
 *
 * @throws ManifestError on a YAML syntax error, or when no (or no single) HPA matches.
 */
export function pickHpa(yamlText: string, name?: string): HorizontalPodAutoscalerManifest {
  const documents = parseAllDocuments(yamlText);
  const objects: Json[] = [];
  for (const document of documents) {
    const [error] = document.errors;
    if (error !== undefined) throw new ManifestError(`invalid YAML: ${error.message.split('\n')[0]}`);
    const content: unknown = document.toJS();
    if (typeof content === 'object' && content !== null && !Array.isArray(content)) objects.push(content as Json);
  }
  const hpas = objects.filter((item) => item.kind === 'HorizontalPodAutoscaler');
  const nameOf = (item: Json): string => String(object(item.metadata ?? {}, 'metadata').name ?? '');
  const matching = name === undefined ? hpas : hpas.filter((item) => nameOf(item) === name);
  if (matching.length === 1 && matching[0] !== undefined)
    return matching[0] as unknown as HorizontalPodAutoscalerManifest;
  const found = hpas.map(nameOf).join(', ');
  if (hpas.length === 0) {
    throw new ManifestError(`no HorizontalPodAutoscaler found among ${objects.length} YAML document(s)`);
  }
  if (name !== undefined) throw new ManifestError(`no HorizontalPodAutoscaler named "${name}" (found: ${found})`);
  throw new ManifestError(`${hpas.length} HorizontalPodAutoscalers found (${found}): choose one by name`);
}
