// `helm template ... | warmscale-sim lint -` on every ci/*-values.yaml: the chart's renders pass the cross-layer
// checks, with the committed prometheus-adapter values file as the adapter config too; values the chart accepts but
// that disagree across layers are caught.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LintResult } from '@warmscale/hpa-sim';
import { chartDir } from './helm.js';
import { FULLNAME, helmChart, NAMESPACE } from './render.js';

const hpaSimDir = dirname(fileURLToPath(import.meta.resolve('@warmscale/hpa-sim/package.json')));
const bin = join(hpaSimDir, 'dist', 'cli.js');
const ADAPTER_VALUES = join(chartDir, 'examples', 'prometheus-adapter-values.yaml');

async function rendered(values: Record<string, unknown>, args: readonly string[] = []): Promise<string> {
  const result = await helmChart('template', values, args);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

function lint(manifests: string, args: readonly string[] = []) {
  const run = spawnSync(process.execPath, [bin, 'lint', '-', ...args], { input: manifests, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function findings(manifests: string, args: readonly string[] = []): string[][] {
  const run = lint(manifests, [...args, '--json']);
  assert.equal(run.stderr, '');
  return (JSON.parse(run.stdout) as LintResult).findings.map((f) => [f.severity, f.rule, f.object, f.field]);
}

const ciFiles = readdirSync(join(chartDir, 'ci'))
  .filter((name) => name.endsWith('-values.yaml'))
  .sort();

describe('warmscale-sim lint on the chart', () => {
  for (const file of ciFiles) {
    test(`ci/${file} passes, alone and with examples/prometheus-adapter-values.yaml`, async () => {
      const manifests = await rendered({}, ['-f', join(chartDir, 'ci', file)]);
      const alone = lint(manifests);
      assert.equal(alone.status, 0, alone.stdout);
      assert.match(alone.stdout, /^no findings in \d+ objects\n$/);
      const withAdapter = lint(manifests, ['--adapter-config', ADAPTER_VALUES]);
      assert.equal(withAdapter.status, 0, withAdapter.stdout);
      assert.match(withAdapter.stdout, /^no findings in \d+ objects\n$/);
    });
  }

  test('a counter renamed in the release but not in the committed adapter file: the HPA metric is not served', async () => {
    const manifests = await rendered({
      metrics: { counterName: 'shop_http_requests_total' },
      adapterRule: { enabled: false },
    });
    assert.deepEqual(findings(manifests, ['--adapter-config', ADAPTER_VALUES]), [
      ['error', 'metric-name', `HorizontalPodAutoscaler ${NAMESPACE}/${FULLNAME}`, 'spec.metrics[0].pods.metric.name'],
    ]);
  });

  test('the chart accepts fast scale-up periods and both scrape paths; lint warns about each', async () => {
    const policies = [{ type: 'Pods', value: 4, periodSeconds: 15 }];
    const manifests = await rendered({
      service: { prometheusScrape: true },
      autoscaling: { behavior: { scaleUp: { policies } } },
    });
    assert.deepEqual(findings(manifests), [
      [
        'warning',
        'scale-up-policy',
        `HorizontalPodAutoscaler ${NAMESPACE}/${FULLNAME}`,
        'spec.behavior.scaleUp.policies[0]',
      ],
      ['warning', 'double-scrape', `Service ${NAMESPACE}/${FULLNAME}`, 'metadata.annotations["prometheus.io/scrape"]'],
    ]);
  });

  test("an adapter relisting faster than the chart's scrape interval, and a KEDA render with ignoreNullValues true, are errors", async () => {
    const manifests = await rendered({});
    assert.deepEqual(findings(manifests, ['--relist-interval', '10s']), [
      ['error', 'relist-interval', 'prometheus-adapter', '--relist-interval'],
    ]);
    const keda = await rendered({ autoscaling: { enabled: false }, keda: { enabled: true, ignoreNullValues: true } });
    assert.deepEqual(findings(keda), [
      [
        'error',
        'keda-null-values',
        `ScaledObject ${NAMESPACE}/${FULLNAME}`,
        'spec.triggers[0].metadata.ignoreNullValues',
      ],
    ]);
  });
});
