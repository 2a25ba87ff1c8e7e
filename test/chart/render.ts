import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type CommandResult, chartDir, runHelm } from './helm.js';

/** Release name every render uses. */
export const RELEASE = 'demo';
/** Namespace every render uses. */
export const NAMESPACE = 'shop';
/** Name of every object of a release rendered with {@link RELEASE} (`<release>-<chart>`). */
export const FULLNAME = 'demo-warmscale';

/** A rendered Kubernetes object. Fields beyond apiVersion/kind/metadata are left untyped, to be read in tests. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are free-form; tests assert exact values.
  spec?: any;
  data?: Record<string, string>;
  [field: string]: unknown;
}

/** Parses a multi-document YAML stream (helm output) into objects, skipping empty documents. */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML in rendered manifests: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    objects.push(value as K8sObject);
  }
  return objects;
}

/**
 * Runs `helm <command> demo charts/warmscale -n shop` with `values` written to a temporary values file (`-f`),
 * followed by `args` (e.g. `['-f', 'ci/keda-values.yaml']`, `['--set', 'a.b=1']`, `['--kube-version', '1.29.0']`).
 * Resolves with the exit code and output, also when helm fails.
 */
export async function helmChart(
  command: 'template' | 'install',
  values: Record<string, unknown> = {},
  args: readonly string[] = [],
  env?: NodeJS.ProcessEnv,
): Promise<CommandResult> {
  const dir = await mkdtemp(join(tmpdir(), 'warmscale-values-'));
  try {
    const file = join(dir, 'values.json');
    await writeFile(file, JSON.stringify(values));
    return await runHelm([command, RELEASE, chartDir, '--namespace', NAMESPACE, '-f', file, ...args], env);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Renders the chart offline (`helm template`) and returns every object, helm test pods included.
 *
 * @param values - values merged over the chart defaults, e.g. `{ keda: { enabled: true } }`
 * @param setArgs - extra helm arguments after the values, e.g. `['-f', ciValuesFile('keda')]` or `['--set', 'x=1']`
 * @throws Error carrying helm's message when the chart refuses the values (schema or `fail`)
 */
export async function renderChart(
  values: Record<string, unknown> = {},
  setArgs: readonly string[] = [],
): Promise<K8sObject[]> {
  const result = await helmChart('template', values, setArgs);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr.trim()}`);
  return parseManifests(result.stdout);
}

/**
 * Renders NOTES.txt the only offline way helm allows: `helm install --dry-run=client` with no cluster configured.
 * Returns the text after helm's `NOTES:` header.
 */
export async function renderNotes(
  values: Record<string, unknown> = {},
  setArgs: readonly string[] = [],
): Promise<string> {
  const env = { ...process.env, KUBECONFIG: join(tmpdir(), 'warmscale-no-cluster', 'config') };
  const result = await helmChart('install', values, ['--dry-run=client', ...setArgs], env);
  if (result.code !== 0) throw new Error(`helm install --dry-run=client failed: ${result.stderr.trim()}`);
  const start = result.stdout.indexOf('NOTES:\n');
  if (start < 0) throw new Error('helm install --dry-run=client printed no NOTES');
  return result.stdout.slice(start + 'NOTES:\n'.length);
}

/** Absolute paths of the chart's `ci/*-values.yaml` files, keyed by name (`default`, `keda`, ...). */
export async function ciValuesFiles(): Promise<Map<string, string>> {
  const names = (await readdir(join(chartDir, 'ci'))).filter((name) => name.endsWith('-values.yaml')).sort();
  return new Map(names.map((name) => [name.slice(0, -'-values.yaml'.length), join(chartDir, 'ci', name)]));
}

/** Objects of one kind, in render order. */
export function objectsOfKind(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((object) => object.kind === kind);
}

/** The only object of `kind` (and `name`, when given); throws when there is none or more than one. */
export function findObject(objects: readonly K8sObject[], kind: string, name?: string): K8sObject {
  const found = objectsOfKind(objects, kind).filter((object) => name === undefined || object.metadata.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}`);
  }
  return found[0] as K8sObject;
}

/** The app's Deployment (the only Deployment the chart renders). */
export function deployment(objects: readonly K8sObject[]): K8sObject {
  return findObject(objects, 'Deployment', FULLNAME);
}

/**
 * The literal environment of the Deployment's app container, in render order: each `value`, without the `valueFrom`
 * entries (the downward API), which only a kubelet resolves.
 */
export function containerEnv(objects: readonly K8sObject[]): Record<string, string> {
  const [container] = deployment(objects).spec.template.spec.containers as Array<{
    env: Array<{ name: string; value?: string }>;
  }>;
  if (container === undefined) throw new Error('the Deployment has no container');
  return Object.fromEntries(
    container.env.filter((entry) => entry.value !== undefined).map((entry) => [entry.name, entry.value as string]),
  );
}

/** The HorizontalPodAutoscaler, when `autoscaling.enabled`. */
export function hpa(objects: readonly K8sObject[]): K8sObject {
  return findObject(objects, 'HorizontalPodAutoscaler', FULLNAME);
}

/** Seconds in a duration with one unit, as the chart accepts them: `"15s"`, `"1m"`, `"2h"`. */
export function durationSeconds(duration: string): number {
  const match = /^([0-9]+)(s|m|h)$/.exec(duration);
  if (!match) throw new Error(`not a single-unit duration: ${JSON.stringify(duration)}`);
  const unit = { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}
