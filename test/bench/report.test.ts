import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BenchReport, spliceSections } from './report.js';
import type { AdmissionSummary } from './scenarios/admission.js';

const one = (value: number) => ({ median: value, min: value, max: value });

function summary(pair: string, measured: number, baseline: number): AdmissionSummary {
  return {
    pair,
    measured: { variant: 'warmscale-admission', close: false, description: '' },
    baseline: { variant: 'bare', close: false, description: '' },
    cpuUsPerRequest: one(measured),
    baselineCpuUsPerRequest: one(baseline),
    cpuRatio: one(measured / baseline),
    addedCpuUs: one(measured - baseline),
    non2xxShare: 0,
  };
}

/** A partial run of the admission scenario only. */
function partialRun(measured: number): BenchReport {
  return {
    date: '2026-01-02T03:04:05.000Z',
    command: 'npm run bench -- --only admission --docs-sections',
    quick: false,
    rounds: 1,
    durationSec: 60,
    machine: {
      cores: 2,
      arch: 'x64',
      virtual: true,
      cpuModel: 'CPU',
      memoryGiB: 8,
      os: 'Linux',
      node: 'v20',
      pinned: true,
      packages: {},
    } as unknown as BenchReport['machine'],
    quiet: { attempts: 1, waitSec: 0, quietCores: 0.15 },
    targets: [],
    admission: {
      connections: 50,
      warmupSec: 5,
      primeSec: 1,
      durationSec: 3,
      samples: [],
      cost: [summary('admission on / bare', measured, 20)],
      shed: [],
    },
  };
}

test('spliceSections appends a partial run section once, then replaces it in place, leaving the rest alone', () => {
  const full =
    '# Benchmarks\n\n<!-- bench:overhead:begin -->\n## 1. Per-request overhead\n<!-- bench:overhead:end -->\n';
  const first = spliceSections(full, partialRun(21));
  assert.ok(first.startsWith(full.trimEnd()));
  assert.equal(first.match(/<!-- bench:admission:begin -->/g)?.length, 1);
  assert.ok(
    first.includes('_Measured apart from the rest of this file: 2026-01-02, `npm run bench -- --only admission'),
  );
  assert.ok(first.includes('| 21.0 (21.0–21.0) | 20.0 (20.0–20.0) | 1.05x (1.05–1.05) | 1.0 (1.0–1.0) |'));

  // Text after the section stays after it.
  const second = spliceSections(`${first}\n## Later\n`, partialRun(30));
  assert.equal(second.match(/<!-- bench:admission:begin -->/g)?.length, 1);
  assert.equal(second.includes('| 21.0 (21.0–21.0)'), false);
  assert.ok(second.includes('| 30.0 (30.0–30.0) | 20.0 (20.0–20.0) | 1.50x (1.50–1.50) | 10.0 (10.0–10.0) |'));
  assert.ok(second.startsWith(full.trimEnd()));
  assert.ok(second.endsWith('<!-- bench:admission:end -->\n\n## Later\n'));
});
