import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isMap, type Node, parse, parseDocument } from 'yaml';
import { chartDir, repoRoot } from './helm.js';

const valuesText = readFileSync(join(chartDir, 'values.yaml'), 'utf8');
const values = parse(valuesText) as Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  definitions?: Record<string, Schema>;
  $ref?: string;
}

const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as Schema;

function resolve(node: Schema): Schema {
  if (!node.$ref) return node;
  const name = node.$ref.replace('#/definitions/', '');
  const target = schema.definitions?.[name];
  if (!target) throw new Error(`unresolved ${node.$ref}`);
  return target;
}

/**
 * Leaf values of values.yaml by dotted path: scalars, lists, empty maps, and maps the schema leaves free-form (label
 * and annotation maps such as `networkPolicy.prometheus.podLabels`, whose keys are data, not parameters).
 */
function leaves(value: Record<string, unknown>, node: Schema | undefined = schema, prefix = ''): [string, unknown][] {
  return Object.entries(value).flatMap(([key, child]): [string, unknown][] => {
    const path = prefix + key;
    const childNode = node?.properties?.[key] && resolve(node.properties[key]);
    const structured = childNode === undefined || childNode.properties !== undefined;
    return isObject(child) && Object.keys(child).length > 0 && structured
      ? leaves(child, childNode, `${path}.`)
      : [[path, child]];
  });
}

describe('chart documentation and schema', () => {
  test('the README parameters table lists every value of values.yaml, in order, with its default', () => {
    const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
    const parameters = readme.split('\n## ').find((section) => section.startsWith('Parameters\n')) ?? '';
    const rows = [...parameters.matchAll(/^\| `([^`]+)` +\| `(.*?)` +\| .+ \|$/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(
      rows,
      leaves(values).map(([path, value]) => [path, JSON.stringify(value)]),
    );
  });

  test('values.yaml has a comment above every key it sets', () => {
    const leafPaths = new Set(leaves(values).map(([path]) => path));
    const missing: string[] = [];
    const walk = (node: Node | null, prefix: string): void => {
      if (!isMap(node)) return;
      node.items.forEach((pair, index) => {
        const key = `${prefix}${String((pair.key as { value: unknown }).value)}`;
        const comment = (pair.key as Node).commentBefore ?? (index === 0 ? node.commentBefore : undefined);
        const child = pair.value as Node | null;
        const leaf = leafPaths.has(key);
        if (isMap(child) && child.items.length > 0 && !leaf) walk(child, `${key}.`);
        else if (!comment) missing.push(key);
      });
    };
    walk(parseDocument(valuesText).contents as Node, '');
    assert.deepEqual(missing, []);
  });

  test('values.schema.json describes every value and forbids unknown keys in every object it describes', () => {
    for (const [path] of leaves(values)) {
      let node: Schema | undefined = schema;
      for (const key of path.split('.')) node = node?.properties?.[key] && resolve(node.properties[key]);
      assert.ok(node, `${path} is not in the schema`);
    }
    const open: string[] = [];
    const walk = (node: Schema, path: string): void => {
      if (node.properties) {
        if (node.additionalProperties !== false) open.push(path || '(root)');
        for (const [key, child] of Object.entries(node.properties)) walk(resolve(child), path ? `${path}.${key}` : key);
      }
      if (node.items) walk(resolve(node.items), `${path}[]`);
    };
    walk(schema, '');
    assert.deepEqual(open, []);
    assert.deepEqual(
      Object.keys(schema.properties ?? {})
        .filter((key) => key !== 'global')
        .sort(),
      Object.keys(values).sort(),
    );
  });

  test("Chart.yaml is apiVersion v2, requires Kubernetes 1.30 and follows the demo's version", () => {
    const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
    const demo = JSON.parse(readFileSync(join(repoRoot, 'apps/demo/package.json'), 'utf8')) as { version: string };
    assert.equal(chart.apiVersion, 'v2');
    assert.equal(chart.kubeVersion, '>=1.30.0-0');
    assert.equal(chart.appVersion, demo.version);
    assert.equal(chart.appVersion, '0.1.0');
    assert.equal('dependencies' in chart, false);
  });
});
