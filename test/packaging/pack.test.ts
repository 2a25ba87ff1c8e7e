import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
let project: string;
let tarball: string;

before(async () => {
  project = await mkdtemp(join(tmpdir(), 'warmscale-consumer-'));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', project], {
    cwd: join(root, 'packages/middleware'),
  });
  tarball = join(project, stdout.trim().split('\n').pop() ?? '');
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
  );
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, 'fastify@5'], { cwd: project });
});

after(async () => {
  await rm(project, { recursive: true, force: true });
});

test('the packed tarball holds only the built code, its types, the manifest and the README', async () => {
  const { stdout } = await run('tar', ['-tzf', tarball]);
  const files = stdout.trim().split('\n').sort();
  assert.ok(files.includes('package/dist/index.js'));
  assert.ok(files.includes('package/dist/index.d.ts'));
  assert.ok(files.includes('package/package.json'));
  assert.ok(files.includes('package/README.md'));
  assert.deepEqual(
    files.filter((f) => !/^package\/dist\/[\w-]+\.(js|d\.ts)$/.test(f)),
    ['package/README.md', 'package/package.json'],
  );
});

test('an installed @warmscale/middleware serves a request and counts it, outside the workspace', async () => {
  await writeFile(
    join(project, 'main.mjs'),
    `import Fastify from 'fastify';
import warmscale from '@warmscale/middleware';
const app = Fastify();
await app.register(warmscale);
app.get('/hello', async () => 'hello');
const hello = await app.inject('/hello');
const metrics = await app.inject('/metrics');
console.log(JSON.stringify({ status: hello.statusCode, body: hello.body,
  line: metrics.body.split('\\n').find((l) => l.startsWith('httpserver_requests_total{')) }));
await app.close();
`,
  );
  const { stdout } = await run(process.execPath, ['main.mjs'], { cwd: project });
  assert.deepEqual(JSON.parse(stdout), {
    status: 200,
    body: 'hello',
    line: 'httpserver_requests_total{method="GET",route="/hello",status="200"} 1',
  });
  const installed = await readdir(join(project, 'node_modules/@warmscale/middleware/dist'));
  assert.ok(installed.includes('index.d.ts'));
});

test('the shipped type declarations compile in a strict TypeScript consumer', async () => {
  await writeFile(
    join(project, 'main.ts'),
    `import Fastify from 'fastify';
import warmscale, { type WarmscaleOptionsInput } from '@warmscale/middleware';
const options: WarmscaleOptionsInput = { metrics: { path: '/metrics', exemplars: false } };
const app = Fastify();
await app.register(warmscale, options);
const registry = app.warmscale.registry;
export const text: Promise<string> = registry.metrics();
`,
  );
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      files: ['main.ts'],
    }),
  );
  await run(process.execPath, [tsc, '-p', project]);
});
