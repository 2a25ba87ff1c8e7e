// warmscale-sim as a user runs it: a child process fed `helm template` output of charts/warmscale or files.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const packageJson = fileURLToPath(import.meta.resolve('@warmscale/hpa-sim/package.json'));
const packageDir = dirname(packageJson);
const bin = join(
  packageDir,
  (JSON.parse(readFileSync(packageJson, 'utf8')) as { bin: Record<string, string> }).bin['warmscale-sim'] ?? '',
);
const repoRoot = join(packageDir, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'warmscale-sim-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[], input?: string): Run {
  const result = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function file(name: string, content: string): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

async function helmTemplate(args: readonly string[]): Promise<string> {
  // A computed specifier keeps tsc from resolving the untyped .mjs; the cast states the function used.
  const tools = (await import(new URL('scripts/tools.mjs', `file://${repoRoot}/`).href)) as { ensureHelm(): string };
  return execFileSync(tools.ensureHelm(), ['template', 'demo', join(repoRoot, 'charts', 'warmscale'), ...args], {
    encoding: 'utf8',
  });
}

/** The summary block of a report. */
function summaryOf(stdout: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => line.startsWith('traffic changes'));
  return lines.slice(start, start + 7);
}

describe('warmscale-sim on the chart (the README examples)', () => {
  test("the chart's default behavior absorbs a 50 -> 500 QPS step in 135 s", async () => {
    const svg = join(scratch, 'step.svg');
    const run = cli(['--hpa', '-', '--profile', 'step', '--length', '15m', '--svg', svg], await helmTemplate([]));
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      run.stdout.split('\n')[0],
      'HPA default/demo-warmscale: Pods httpserver_requests_qps 50/pod; replicas 2..10',
    );
    assert.deepEqual(summaryOf(run.stdout), [
      'traffic changes       at 60 s',
      'first scale-up        at 75 s (15 s after the change)',
      'settled               at 195 s (135 s after the change)',
      'overloaded            70 s',
      'replica-seconds       8100 (9.0 pods on average)',
      'direction changes     0',
      'peak / final replicas 10 / 10',
    ]);
    assert.match(readFileSync(svg, 'utf8'), /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="960" height="440"/);
  });

  test('the conservative profile is overloaded for the whole of a 5 minute spike', async () => {
    const values = join(packageDir, 'examples', 'conservative-values.yaml');
    const run = cli(
      ['--hpa', '-', '--profile', 'spike', '--duration', '5m', '--length', '30m'],
      await helmTemplate(['-f', values]),
    );
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(summaryOf(run.stdout), [
      'traffic changes       at 60 s',
      'first scale-up        at 75 s (15 s after the change)',
      'settled               at 1050 s (990 s after the change)',
      'overloaded            300 s',
      'replica-seconds       5310 (3.0 pods on average)',
      'direction changes     1',
      'peak / final replicas 4 / 2',
    ]);
  });
});

const HPA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  minReplicas: 1
  maxReplicas: 4
  metrics:
    - type: Pods
      pods: {metric: {name: httpserver_requests_qps}, target: {type: AverageValue, averageValue: "10"}}
  behavior: {}
`;

describe('warmscale-sim', () => {
  test('simulates a CSV trace and prints a row per minute plus every change', () => {
    // 1 pod at its 10 q/s target, 30 q/s from 60 s; rate() over 30 s is the slope of the last two scrapes.
    // t=75: 30 q/s, ratio 3 -> 3 pods. t=90..105: the new pods have no samples, (30 + 0 + 0) / 3 = 10: hold.
    // The new pods are ready at 75 + 10 + 30 = 115: settled at the 120 s sync. Overloaded (20 q/s) 60..114.
    const trace = file('trace.csv', 'time,qps\n0,10\n60,10\n60,30\n300,30\n');
    const run = cli(['--hpa', file('hpa.yaml', HPA), '--trace', trace, '--rate-window', '30s']);
    assert.equal(run.status, 0, run.stderr);
    const table = run.stdout.split('\n').filter((line) => /^\s*\d+:\d\d /.test(line));
    assert.deepEqual(
      table.map((line) => line.trim().split(/\s+/).slice(0, 4)),
      [
        ['0:00', '10', '1', '1'],
        ['1:00', '30', '1', '1'],
        ['1:15', '30', '3', '1'],
        ['2:00', '30', '3', '3'],
        ['3:00', '30', '3', '3'],
        ['4:00', '30', '3', '3'],
      ],
    );
    assert.deepEqual(summaryOf(run.stdout), [
      'traffic changes       at 60 s',
      'first scale-up        at 75 s (15 s after the change)',
      'settled               at 120 s (60 s after the change)',
      'overloaded            55 s',
      'replica-seconds       750 (2.5 pods on average)',
      'direction changes     0',
      'peak / final replicas 3 / 3',
    ]);
  });

  const failures: [string, () => string[], string][] = [
    [
      'malformed YAML',
      () => ['--hpa', file('bad.yaml', 'kind: [\n'), '--profile', 'step'],
      /^warmscale-sim: invalid YAML: /.source,
    ],
    [
      'an HPA with only an External metric',
      () => [
        '--hpa',
        file(
          'external.yaml',
          HPA.replace(
            /metrics:[\s\S]*behavior/,
            'metrics: [{type: External, external: {metric: {name: queue}, target: {type: Value, value: "10"}}}]\n  behavior',
          ),
        ),
        '--profile',
        'step',
      ],
      '^warmscale-sim: spec\\.metrics\\[0\\] \\(External queue\\): the simulator models Pods and Resource metrics only$',
    ],
    [
      'a trace with negative QPS',
      () => ['--hpa', file('hpa.yaml', HPA), '--trace', file('negative.csv', '0,10\n60,-5\n')],
      '^warmscale-sim: trace line 2: qps must be a number >= 0 \\(got -5\\)$',
    ],
    [
      'a trace with unsorted time',
      () => ['--hpa', file('hpa.yaml', HPA), '--trace', file('unsorted.json', '[[0, 10], [60, 10], [30, 10]]')],
      '^warmscale-sim: trace point 3: time 30 is before the previous time 60 \\(times must be sorted\\)$',
    ],
    ['no --hpa', () => ['--profile', 'step'], '^warmscale-sim: --hpa <file\\|-> is required$'],
    [
      'both --trace and --profile',
      () => ['--hpa', file('hpa.yaml', HPA), '--profile', 'step', '--trace', 'x.csv'],
      '^warmscale-sim: give exactly one of --trace <file> and --profile <name>$',
    ],
    [
      'an unknown profile',
      () => ['--hpa', file('hpa.yaml', HPA), '--profile', 'sawtooth'],
      '^warmscale-sim: --profile must be one of step, ramp, spike, diurnal \\(got "sawtooth"\\)$',
    ],
    [
      'a malformed duration',
      () => ['--hpa', file('hpa.yaml', HPA), '--profile', 'step', '--rate-window', '1 minute'],
      '^warmscale-sim: --rate-window must be a duration such as 90, 90s, 15m or 1h30m \\(got "1 minute"\\)$',
    ],
    [
      'a missing file',
      () => ['--hpa', join(scratch, 'nope.yaml'), '--profile', 'step'],
      '^warmscale-sim: cannot read .*nope\\.yaml: ENOENT',
    ],
    ['an unknown flag', () => ['--speed', '2'], "^warmscale-sim: Unknown option '--speed'"],
  ];
  for (const [name, args, pattern] of failures) {
    test(`${name} prints one error line and exits 2`, () => {
      const run = cli(args());
      assert.equal(run.status, 2);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr.split('\n').length, 2, run.stderr);
      assert.match(run.stderr.trimEnd(), new RegExp(pattern));
    });
  }

  test('--help prints the usage and exits 0', () => {
    const run = cli(['--help']);
    assert.equal(run.status, 0);
    assert.match(
      run.stdout,
      /^usage: warmscale-sim --hpa <file\|-> \(--trace <file> \| --profile step\|ramp\|spike\|diurnal\)/,
    );
  });
});
