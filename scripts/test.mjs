// `npm test`: obtain the external tools, build every project, lint, then run every node:test suite.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureHelm, ensurePrometheus } from './tools.mjs';

const root = join(import.meta.dirname, '..');
process.chdir(root);

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.js'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

ensureHelm();
ensurePrometheus();
run('npx', ['tsc', '-b']);
run('npx', ['biome', 'ci', '.']);

const suites = [
  ...readdirSync('packages').flatMap((pkg) => testFiles(join('packages', pkg, 'dist-test'))),
  ...testFiles('test/dist'),
];
const reporter = process.stdout.isTTY ? 'spec' : 'tap';
run(process.execPath, ['--test', `--test-reporter=${reporter}`, ...suites]);
