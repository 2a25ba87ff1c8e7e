// warmscale-sim lint as a user runs it (a child process), on hand-written manifests with one defect each, and the
// library's lintManifests on the edge cases.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LintResult, lintManifests, promDurationSeconds } from '@warmscale/hpa-sim';

const packageJson = fileURLToPath(import.meta.resolve('@warmscale/hpa-sim/package.json'));
const packageDir = dirname(packageJson);
const bin = join(packageDir, 'dist', 'cli.js');
const fixtures = join(packageDir, 'test', 'fixtures', 'lint');
const fixture = (name: string) => join(fixtures, name);

function lint(args: readonly string[], input?: string) {
  const result = spawnSync(process.execPath, [bin, 'lint', ...args], { input, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `[severity, rule, object, field]` of each finding of a `--json` run, and the exit code. */
function findingsOf(args: readonly string[]): { status: number | null; findings: string[][] } {
  const run = lint([...args, '--json']);
  assert.equal(run.stderr, '');
  const result = JSON.parse(run.stdout) as LintResult;
  return { status: run.status, findings: result.findings.map((f) => [f.severity, f.rule, f.object, f.field]) };
}

describe('warmscale-sim lint on hand-written manifests, one defect per rule', () => {
  const cases: Array<[string, number, string[][]]> = [
    ['good.yaml', 0, []],
    ['good-keda.yaml', 0, []],
    [
      'rate-window.yaml',
      1,
      [
        [
          'error',
          'rate-window',
          'ConfigMap monitoring/prometheus-adapter',
          'data["config.yaml"].rules[0].metricsQuery',
        ],
      ],
    ],
    [
      'relist-interval.yaml',
      1,
      [
        [
          'error',
          'relist-interval',
          'Deployment monitoring/prometheus-adapter',
          'container prometheus-adapter --metrics-relist-interval',
        ],
      ],
    ],
    [
      'grace-period.yaml',
      1,
      [['error', 'grace-period', 'Deployment shop/web', 'spec.template.spec.terminationGracePeriodSeconds']],
    ],
    [
      'startup-budget.yaml',
      1,
      [['error', 'startup-budget', 'Deployment shop/web', 'spec.template.spec.containers[0].startupProbe']],
    ],
    [
      'scale-up-policy.yaml',
      0,
      [['warning', 'scale-up-policy', 'HorizontalPodAutoscaler shop/web', 'spec.behavior.scaleUp.policies[0]']],
    ],
    [
      'metric-name.yaml',
      1,
      [['error', 'metric-name', 'HorizontalPodAutoscaler shop/web', 'spec.metrics[0].pods.metric.name']],
    ],
    [
      'double-scrape.yaml',
      0,
      [['warning', 'double-scrape', 'Service shop/web', 'metadata.annotations["prometheus.io/scrape"]']],
    ],
    [
      'utilization-request.yaml',
      1,
      [['error', 'utilization-request', 'HorizontalPodAutoscaler shop/web', 'spec.metrics[1].resource']],
    ],
    [
      'keda-null-values.yaml',
      1,
      [['error', 'keda-null-values', 'ScaledObject shop/web', 'spec.triggers[0].metadata.ignoreNullValues']],
    ],
    ['keda-fallback.yaml', 0, [['warning', 'keda-fallback', 'ScaledObject shop/web', 'spec.fallback']]],
  ];
  for (const [name, status, expected] of cases) {
    test(`${name}: ${expected.length === 0 ? 'no findings, exit 0' : `${expected[0]?.[0]} ${expected[0]?.[1]}, exit ${status}`}`, () => {
      assert.deepEqual(findingsOf([fixture(name)]), { status, findings: expected });
    });
  }

  test('a finding names the object, the field, the numbers and the fix', () => {
    const run = lint([fixture('grace-period.yaml')]);
    assert.equal(run.status, 1);
    assert.equal(
      run.stdout,
      [
        'error [grace-period] Deployment shop/web spec.template.spec.terminationGracePeriodSeconds',
        "  grace period 20s (spec.template.spec.terminationGracePeriodSeconds) is not above the preStop sleep 5s (spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds) + the app's shutdown timeout 20s (WARMSCALE_SHUTDOWN_TIMEOUT_MS=20000) = 25s: the preStop time counts against the grace period, so the kubelet sends SIGKILL before the app has drained and run its close hooks.",
        '  fix: set terminationGracePeriodSeconds to at least 30 (preStop + timeout + a 5 s margin), or lower WARMSCALE_SHUTDOWN_TIMEOUT_MS (chart: leave shutdown.terminationGracePeriodSeconds null to derive it).',
        '1 error, 0 warnings in 6 objects',
        '',
      ].join('\n'),
    );
  });

  test('several files and stdin together: every defect is reported, errors first', () => {
    const run = lint(['-', fixture('scale-up-policy.yaml')], readFileSync(fixture('startup-budget.yaml'), 'utf8'));
    assert.equal(run.status, 1);
    assert.deepEqual(
      run.stdout.split('\n').filter((line) => /^(error|warning) /.test(line)),
      [
        'error [startup-budget] Deployment shop/web spec.template.spec.containers[0].startupProbe',
        'warning [scale-up-policy] HorizontalPodAutoscaler shop/web spec.behavior.scaleUp.policies[0]',
      ],
    );
  });

  test('--scrape-interval stands in for a missing ServiceMonitor, --relist-interval overrides the adapter', () => {
    const withoutMonitor = readFileSync(fixture('good.yaml'), 'utf8')
      .split('---\n')
      .filter((doc) => !doc.includes('kind: ServiceMonitor'))
      .join('---\n');
    const run = (flags: string[]) => lint(['-', '--json', ...flags], withoutMonitor);
    assert.deepEqual(JSON.parse(run([]).stdout).findings, []);
    const slow = JSON.parse(run(['--scrape-interval', '30s']).stdout) as LintResult;
    assert.deepEqual(
      slow.findings.map((f) => f.rule),
      ['rate-window'],
    );
    const relist = JSON.parse(run(['--scrape-interval', '15s', '--relist-interval', '5s']).stdout) as LintResult;
    assert.deepEqual(
      relist.findings.map((f) => [f.rule, f.object, f.field]),
      [['relist-interval', 'prometheus-adapter', '--relist-interval']],
    );
  });

  test('--boot-time lengthens what the startupProbe and the scale-up periods must cover', () => {
    assert.deepEqual(findingsOf([fixture('good.yaml'), '--boot-time', '45s']).findings, [
      ['error', 'startup-budget', 'Deployment shop/web', 'spec.template.spec.containers[0].startupProbe'],
      ['warning', 'scale-up-policy', 'HorizontalPodAutoscaler shop/web', 'spec.behavior.scaleUp.policies[0]'],
    ]);
  });

  test('bad input exits 2 with one line: no files, malformed YAML, an adapter config of no known shape, a bad flag', () => {
    assert.deepEqual(lint([]), {
      status: 2,
      stdout: '',
      stderr: 'warmscale-sim lint: give manifest files, or - to read stdin\n',
    });
    assert.deepEqual(lint(['-'], 'kind: [unclosed'), {
      status: 2,
      stdout: '',
      stderr:
        'warmscale-sim lint: manifest 1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 16:\n',
    });
    const config = lint([fixture('good.yaml'), '--adapter-config', fixture('good.yaml')]);
    assert.equal(config.status, 2);
    assert.equal(
      config.stderr,
      'warmscale-sim lint: --adapter-config: neither an adapter config.yaml (rules: [...]) nor prometheus-adapter chart values (rules.custom: [...])\n',
    );
    assert.equal(lint([fixture('good.yaml'), '--boot-time', 'soon']).status, 2);
    assert.match(lint(['--help']).stdout, /^usage: warmscale-sim lint <file\|->\.\.\. \[options\]/);
  });
});

describe('lintManifests', () => {
  const doc = (text: string) => text.replace(/^ {4}/gm, '');

  test('reads Prometheus durations as Prometheus does', () => {
    assert.deepEqual(['15s', '1m30s', '2h', '500ms', '1d', 'soon', '', '15'].map(promDurationSeconds), [
      15,
      90,
      7200,
      0.5,
      86_400,
      undefined,
      undefined,
      undefined,
    ]);
  });

  test('an exec "sleep N" preStop and the 30 s default grace period count like the sleep action', () => {
    const result = lintManifests({
      manifests: [
        doc(`
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      template:
        spec:
          containers:
            - name: web
              env: [{name: WARMSCALE_SHUTDOWN_TIMEOUT_MS, value: "25000"}]
              lifecycle: {preStop: {exec: {command: ["/bin/sh", "-c", "sleep 5"]}}}
    `),
      ],
    });
    assert.deepEqual(
      result.findings.map((f) => f.message.split(':')[0]),
      [
        "grace period 30s (the default of 30 s) is not above the preStop sleep 5s (spec.template.spec.containers[0].lifecycle.preStop.exec.command) + the app's shutdown timeout 25s (WARMSCALE_SHUTDOWN_TIMEOUT_MS=25000) = 30s",
      ],
    );
    assert.equal(result.findings[0]?.object, 'Deployment web');
  });

  test('an HPA without behavior takes the legacy path: a warning for a pod that needs longer than a sync', () => {
    const [deployment] = readFileSync(fixture('good.yaml'), 'utf8').split('---\n');
    const hpa = doc(`
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: web, namespace: shop}
    spec:
      scaleTargetRef: {kind: Deployment, name: web}
      maxReplicas: 10
    `);
    const result = lintManifests({ manifests: [deployment as string, hpa] });
    assert.deepEqual(
      result.findings.map((f) => [f.severity, f.rule, f.field]),
      [['warning', 'scale-up-policy', 'spec.behavior']],
    );
  });

  test('a static KEDA fallback below maxReplicaCount warns; cpu triggers need requests and get no fallback warning', () => {
    const [deployment] = readFileSync(fixture('good.yaml'), 'utf8').split('---\n');
    const scaledObject = (fallback: string, triggers: string) =>
      doc(`
    apiVersion: keda.sh/v1alpha1
    kind: ScaledObject
    metadata: {name: web, namespace: shop}
    spec:
      scaleTargetRef: {name: web}
      maxReplicaCount: 10${fallback}
      triggers:${triggers}
    `);
    const prometheus = `
        - type: prometheus
          metadata: {query: "sum(rate(x[1m]))", threshold: "5", ignoreNullValues: "false"}`;
    const staticFallback = lintManifests({
      manifests: [
        deployment as string,
        scaledObject('\n      fallback: {failureThreshold: 3, replicas: 2}', prometheus),
      ],
    });
    // Without advanced.horizontalPodAutoscalerConfig.behavior, KEDA's HPA takes the legacy path too.
    assert.deepEqual(
      staticFallback.findings.map((f) => [f.rule, f.field]),
      [
        ['scale-up-policy', 'spec.advanced.horizontalPodAutoscalerConfig.behavior'],
        ['keda-fallback', 'spec.fallback.behavior'],
      ],
    );
    const withCpu = lintManifests({
      manifests: [
        (deployment as string).replace('{ cpu: 100m, memory: 128Mi }', '{ memory: 128Mi }'),
        scaledObject(
          '',
          `${prometheus}\n        - type: cpu\n          metricType: Utilization\n          metadata: {value: "70"}`,
        ),
      ],
    });
    assert.deepEqual(
      withCpu.findings.map((f) => [f.rule, f.field]),
      [
        ['utilization-request', 'spec.triggers[1]'],
        ['scale-up-policy', 'spec.advanced.horizontalPodAutoscalerConfig.behavior'],
      ],
    );
  });
});
