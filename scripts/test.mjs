// `npm test`: obtain the external tools, build every project, lint, then run every node:test suite.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from './build.mjs';
import { ensureHelm, ensurePodman, ensurePrometheus, ensurePythonPrometheusClient } from './tools.mjs';

const root = join(import.meta.dirname, '..');
process.chdir(root);

function run(command, args) {
  return spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.js'))
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}

ensureHelm();
ensurePrometheus();
ensurePythonPrometheusClient();
// The images (the Dockerfile's base, the helm test pod's busybox) are made by the image suite itself, so a failure there
// is a failing test that says why.
ensurePodman();
const built = build();
if (built !== 0) process.exit(built);

const suites = [
  ...readdirSync('packages').flatMap((pkg) => testFiles(join('packages', pkg, 'dist-test'))),
  ...testFiles('test/dist'),
];
const reporter = process.stdout.isTTY ? 'spec' : 'tap';
const tested = run(process.execPath, ['--test', `--test-reporter=${reporter}`, ...suites]);
// Lint and format last, so a style slip never hides the test results.
const linted = run('npx', ['biome', 'ci', '.']);
process.exit(tested || linted);
