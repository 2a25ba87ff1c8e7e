// The chart carries some of the middleware's settings (declared once in packages/middleware/src/settings.ts) in its
// own units. These tests hold the chart to that declaration: the same defaults, the same ranges, and exactly the
// WARMSCALE_* names and values the middleware reads.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import warmscale, { SETTING_LIST, type Setting } from '@warmscale/middleware';
import Fastify from 'fastify';
import { parse } from 'yaml';
import { chartDir } from './helm.js';
import { ciValuesFiles, containerEnv, deployment, type K8sObject, renderChart } from './render.js';

/** A chart value that carries a middleware setting. */
interface Wiring {
  /** Path in values.yaml. */
  readonly value: string;
  /** Path of the setting in the middleware's declaration. */
  readonly setting: string;
  /** Chart unit to the setting's unit: 1000 for seconds to milliseconds, else 1. */
  readonly scale: 1 | 1000;
  /** Why the chart's default differs from the middleware's, when it does on purpose. */
  readonly ownDefault?: string;
}

/** In the order the Deployment sets them, which is the declaration's order. */
const WIRING: readonly Wiring[] = [
  { value: 'metrics.path', setting: 'metrics.path', scale: 1 },
  { value: 'metrics.counterName', setting: 'metrics.requestsTotalName', scale: 1 },
  { value: 'warmup.enabled', setting: 'warmup.enabled', scale: 1 },
  { value: 'warmup.budgetSeconds', setting: 'warmup.budgetMs', scale: 1000 },
  { value: 'shutdown.delaySeconds', setting: 'shutdown.delayMs', scale: 1000 },
  { value: 'shutdown.drainTimeoutSeconds', setting: 'shutdown.drainTimeoutMs', scale: 1000 },
  { value: 'shutdown.timeoutSeconds', setting: 'shutdown.timeoutMs', scale: 1000 },
  {
    value: 'shutdown.preStopSleepSeconds',
    setting: 'shutdown.preStopSleepSeconds',
    scale: 1,
    ownDefault: 'the middleware cannot see a preStop hook and assumes none; the chart renders one',
  },
  {
    value: 'shutdown.terminationGracePeriodSeconds',
    setting: 'shutdown.gracePeriodSeconds',
    scale: 1,
    ownDefault: "null derives the pod's grace period, and the Deployment passes the derived value",
  },
  { value: 'connectionRecycling.maxRequests', setting: 'connections.maxRequests', scale: 1 },
  { value: 'connectionRecycling.maxAgeSeconds', setting: 'connections.maxAgeMs', scale: 1000 },
  { value: 'connectionRecycling.maxAgeJitter', setting: 'connections.maxAgeJitter', scale: 1 },
  { value: 'admission.maxInFlight', setting: 'admission.maxInFlight', scale: 1 },
  { value: 'admission.slowStartSeconds', setting: 'admission.slowStartMs', scale: 1000 },
  { value: 'admission.slowStartMinShare', setting: 'admission.slowStartMinShare', scale: 1 },
  { value: 'admission.slowStartAggression', setting: 'admission.slowStartAggression', scale: 1 },
  { value: 'admission.maxEventLoopDelayMs', setting: 'admission.maxEventLoopDelayMs', scale: 1 },
  { value: 'admission.retryAfterSeconds', setting: 'admission.retryAfterSeconds', scale: 1 },
];

interface SchemaNode {
  type?: string | string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  properties?: Record<string, SchemaNode>;
}

const chartSchema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as SchemaNode;
const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;

function schemaAt(path: string): SchemaNode {
  const node = path.split('.').reduce<SchemaNode | undefined>((n, key) => n?.properties?.[key], chartSchema);
  if (node === undefined) throw new Error(`${path} is not in values.schema.json`);
  return node;
}

function valueAt(path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown>)[key], values);
}

function setting(path: string): Setting {
  const found = SETTING_LIST.find((s) => s.path === path);
  if (found === undefined) throw new Error(`${path} is not a middleware setting`);
  return found;
}

/** The declaration's schema for a non-null value (`metrics.path` may also be null, which the chart never passes). */
function declared(path: string): SchemaNode {
  const schema = setting(path).schema as SchemaNode & { anyOf?: SchemaNode[] };
  return schema.anyOf?.find((branch) => branch.type !== 'null') ?? schema;
}

/** A chart value in the setting's unit: what the middleware must resolve from the rendered variable. */
function inSettingUnit(wiring: Wiring, chartValue: unknown): unknown {
  return typeof chartValue === 'number' ? chartValue * wiring.scale : chartValue;
}

/** The setting values the middleware resolves from a rendered environment (and nothing else). */
async function resolvedFrom(env: Record<string, string>): Promise<Record<string, unknown>> {
  const app = Fastify();
  try {
    await app.register(warmscale, { env });
    await app.ready();
    const options = app.warmscale.options as unknown as Record<string, Record<string, unknown>>;
    return Object.fromEntries(
      WIRING.map(({ setting: path }) => {
        const { section, key } = setting(path);
        return [path, options[section]?.[key]];
      }),
    );
  } finally {
    await app.close();
  }
}

describe("the chart's settings agree with the middleware's declaration", () => {
  let objects: K8sObject[];
  before(async () => {
    objects = await renderChart();
  });

  test('each wired value has the same default in values.yaml and values.schema.json', () => {
    for (const { value } of WIRING) assert.deepEqual(schemaAt(value).default, valueAt(value), value);
  });

  test("each wired value's default, in the setting's unit, is the middleware's default", () => {
    for (const wiring of WIRING.filter((w) => w.ownDefault === undefined)) {
      assert.deepEqual(
        inSettingUnit(wiring, schemaAt(wiring.value).default),
        declared(wiring.setting).default,
        `${wiring.value} x ${wiring.scale} = ${wiring.setting}`,
      );
    }
  });

  test("each wired integer's schema range is the middleware's range in whole chart units", () => {
    for (const wiring of WIRING.filter((w) => declared(w.setting).type === 'integer')) {
      const { minimum, maximum } = declared(wiring.setting);
      assert.ok(minimum !== undefined && maximum !== undefined, wiring.setting);
      const chart = schemaAt(wiring.value);
      // The smallest and largest whole chart units inside the declared range: the chart exposes all of it, no more.
      assert.deepEqual(
        { minimum: chart.minimum, maximum: chart.maximum },
        { minimum: Math.ceil(minimum / wiring.scale), maximum: Math.floor(maximum / wiring.scale) },
        `${wiring.value} against ${wiring.setting} (${minimum} to ${maximum})`,
      );
    }
  });

  test("each wired string has the middleware's pattern and each wired flag is a boolean", () => {
    for (const wiring of WIRING.filter((w) => declared(w.setting).type !== 'integer')) {
      const { type, pattern } = declared(wiring.setting);
      assert.deepEqual(
        { type: schemaAt(wiring.value).type, pattern: schemaAt(wiring.value).pattern },
        { type, pattern },
        wiring.value,
      );
    }
  });

  test("the derived grace period stays within the middleware's range at the schema's largest values", () => {
    const largest = ['preStopSleepSeconds', 'timeoutSeconds', 'exitMarginSeconds'].map(
      (key) => schemaAt(`shutdown.${key}`).maximum as number,
    );
    assert.deepEqual(largest, [3600, 3600, 3600]);
    assert.ok(largest.reduce((a, b) => a + b) <= (declared('shutdown.gracePeriodSeconds').maximum as number));
  });

  test('the Deployment sets exactly the WARMSCALE_* names of the wired settings, with the values the middleware resolves', async () => {
    const env = containerEnv(objects);
    const grace = deployment(objects).spec.template.spec.terminationGracePeriodSeconds as number;
    // What each setting must come to: the chart's default in the setting's unit (the grace period as derived).
    const expected = WIRING.map((wiring) => ({
      wiring,
      value: inSettingUnit(
        wiring,
        wiring.value === 'shutdown.terminationGracePeriodSeconds' ? grace : valueAt(wiring.value),
      ),
    }));
    assert.deepEqual(
      Object.entries(env).filter(([name]) => name.startsWith('WARMSCALE_')),
      expected.map(({ wiring, value }) => [setting(wiring.setting).env, String(value)]),
    );
    assert.equal(env.WARMSCALE_SHUTDOWN_DELAY_MS, '5000');
    assert.equal(env.WARMSCALE_WARMUP_ENABLED, 'true');
    assert.deepEqual(
      await resolvedFrom(env),
      Object.fromEntries(expected.map(({ wiring, value }) => [wiring.setting, value])),
    );
  });

  test('values at the ends of the schema ranges render an environment the middleware accepts', async () => {
    const ends = {
      smallest: {
        warmup: { budgetSeconds: 1 },
        shutdown: { preStopSleepSeconds: 0, delaySeconds: 0, drainTimeoutSeconds: 0, timeoutSeconds: 1 },
        connectionRecycling: { maxRequests: 0, maxAgeSeconds: 0 },
      },
      largest: {
        warmup: { budgetSeconds: 3600 },
        shutdown: {
          preStopSleepSeconds: 3600,
          delaySeconds: 3600,
          drainTimeoutSeconds: 0,
          timeoutSeconds: 3600,
          exitMarginSeconds: 3600,
        },
        connectionRecycling: { maxRequests: 1_000_000_000, maxAgeSeconds: 86_400 },
      },
    };
    const resolved = {
      smallest: await resolvedFrom(containerEnv(await renderChart(ends.smallest))),
      largest: await resolvedFrom(containerEnv(await renderChart(ends.largest))),
    };
    const picked = (r: Record<string, unknown>) => [
      r['warmup.budgetMs'],
      r['shutdown.delayMs'],
      r['shutdown.timeoutMs'],
      r['shutdown.gracePeriodSeconds'],
      r['connections.maxRequests'],
      r['connections.maxAgeMs'],
    ];
    assert.deepEqual(picked(resolved.smallest), [1000, 0, 1000, 6, 0, 0]);
    assert.deepEqual(picked(resolved.largest), [3_600_000, 3_600_000, 3_600_000, 10_800, 1_000_000_000, 86_400_000]);
  });

  test('every WARMSCALE_* variable any ci values file renders is one the middleware knows', async () => {
    const known = new Set(SETTING_LIST.map((s) => s.env));
    for (const [name, file] of await ciValuesFiles()) {
      const rendered = Object.keys(containerEnv(await renderChart({}, ['-f', file])));
      const unknown = rendered.filter((variable) => variable.startsWith('WARMSCALE_') && !known.has(variable));
      assert.deepEqual(unknown, [], name);
    }
  });

  test("the chart README's environment table names each wired variable and its setting", () => {
    const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
    const section = readme.split('\n## ').find((s) => s.startsWith("The app's environment\n")) ?? '';
    const rows = [...section.matchAll(/^\| `(WARMSCALE_\w+)` +\| .+ \| `([\w.]+)` +\|$/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(
      rows,
      WIRING.map((wiring) => [setting(wiring.setting).env, wiring.setting]),
    );
  });
});
