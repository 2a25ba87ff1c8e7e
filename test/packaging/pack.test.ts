// The packages as a user gets them: `npm pack`, installed into fresh CommonJS and ESM projects outside the monorepo,
// loaded through every entry point, the shipped examples run as services, and a consumer typechecked under the
// module settings people use.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { get, samples, sleep } from '../support/http.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');

const PACKAGES = { middleware: join(root, 'packages/middleware'), hpaSim: join(root, 'packages/hpa-sim') };
type PackageName = keyof typeof PACKAGES;

/**
 * Two consumers, one `npm install` each. The CommonJS one runs Express 4 and the ESM one Express 5, so the
 * `/express` adapter is exercised on both majors (and each with its own `@types/express`).
 */
const PROJECTS = {
  commonjs: { type: 'commonjs', deps: ['fastify@5', 'express@4', '@types/express@4', '@types/node@20'] },
  esm: { type: 'module', deps: ['fastify@5', 'express@5', '@types/express@5', '@types/node@20'] },
} as const;
type ProjectName = keyof typeof PROJECTS;

const ENTRIES = ['@warmscale/middleware', '@warmscale/middleware/express', '@warmscale/middleware/http'] as const;

/** The runtime values every middleware entry point re-exports (shared-exports.ts). */
const SHARED_EXPORTS = [
  'CLIENT_CLOSED_REQUEST',
  'DEFAULT_DURATION_BUCKETS',
  'LIFECYCLE_STATES',
  'Lifecycle',
  'LifecycleState',
  'OPENMETRICS_CONTENT_TYPE',
  'PROMETHEUS_CONTENT_TYPE',
  'SETTINGS',
  'SETTING_LIST',
  'WarmscaleOptionError',
  'envName',
];
const EXPORTS: Record<(typeof ENTRIES)[number], string[]> = {
  '@warmscale/middleware': [...SHARED_EXPORTS, 'default', 'warmscale'].sort(),
  '@warmscale/middleware/express': [...SHARED_EXPORTS, 'default', 'expressRoute', 'warmscale'].sort(),
  '@warmscale/middleware/http': [...SHARED_EXPORTS, 'default', 'warmscale'].sort(),
};

let work = '';
const tarballs: Record<PackageName, string> = { middleware: '', hpaSim: '' };
const projects: Record<ProjectName, string> = { commonjs: '', esm: '' };
const children = new Set<ChildProcess>();

function projectEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // Any WARMSCALE_* variable of the test run would configure (or, unknown, reject) the services.
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('WARMSCALE_'));
  return { ...Object.fromEntries(inherited), ...extra };
}

before(async () => {
  // One build, then pack without the prepack script (`build.mjs --clean`): deleting a package's dist while other
  // suites may import it is not something a test should do. The exact file list below catches stale output instead.
  await run(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root });
  work = await mkdtemp(join(tmpdir(), 'warmscale-packaging-'));
  for (const [name, dir] of Object.entries(PACKAGES) as Array<[PackageName, string]>) {
    const { stdout } = await run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], {
      cwd: dir,
    });
    tarballs[name] = join(work, stdout.trim().split('\n').pop() ?? '');
  }
  await Promise.all(
    (Object.keys(PROJECTS) as ProjectName[]).map(async (name) => {
      const dir = join(work, name);
      projects[name] = dir;
      await mkdir(dir);
      await writeFile(
        join(dir, 'package.json'),
        JSON.stringify({ name: `consumer-${name}`, private: true, type: PROJECTS[name].type }, null, 2),
      );
      await run(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          tarballs.middleware,
          tarballs.hpaSim,
          ...PROJECTS[name].deps,
        ],
        { cwd: dir, env: projectEnv() },
      );
      // What a user does with the examples: copy them into the project.
      await cp(join(dir, 'node_modules/@warmscale/middleware/examples'), join(dir, 'examples'), { recursive: true });
    }),
  );
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  if (work !== '') await rm(work, { recursive: true, force: true });
});

/** Folders shipped as they are in the repository. */
const SHIPPED_FOLDERS = ['docs', 'examples'];

/**
 * What `files` should put in the tarball: both builds of every module in `src` with their source maps and the sources
 * the maps point at (no output of a deleted module), the shipped folders, README, LICENSE and the manifest. The
 * hpa-sim CLI is an ES module only: its bin is the one way to reach it.
 */
async function expectedFiles(dir: string): Promise<string[]> {
  const modules = (await readdir(join(dir, 'src'))).filter((file) => file.endsWith('.ts')).map((f) => f.slice(0, -3));
  const build = (prefix: string, m: string) =>
    ['.js', '.js.map', '.d.ts', '.d.ts.map'].map((ext) => `${prefix}${m}${ext}`);
  const folders = await Promise.all(
    SHIPPED_FOLDERS.map(async (folder) =>
      (await readdir(join(dir, folder), { recursive: true, withFileTypes: true }).catch(() => []))
        .filter((entry) => entry.isFile())
        .map((entry) => relative(dir, join(entry.parentPath, entry.name))),
    ),
  );
  return [
    ...modules.flatMap((m) => [...build('dist/', m), ...(m === 'cli' ? [] : build('dist/cjs/', m)), `src/${m}.ts`]),
    'dist/cjs/package.json',
    ...folders.flat(),
    'LICENSE',
    'README.md',
    'package.json',
  ]
    .map((file) => `package/${file}`)
    .sort();
}

async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball]);
  return stdout.trim().split('\n').sort();
}

describe('the packed tarballs', () => {
  test('@warmscale/middleware ships both builds of every module, dist/cjs/package.json, docs, examples, README and LICENSE', async () => {
    assert.deepEqual(await tarballFiles(tarballs.middleware), await expectedFiles(PACKAGES.middleware));
  });

  test('@warmscale/hpa-sim ships both builds of every module, dist/cjs/package.json, the examples, README and LICENSE', async () => {
    assert.deepEqual(await tarballFiles(tarballs.hpaSim), await expectedFiles(PACKAGES.hpaSim));
  });
});

interface EntryReport {
  /** The file the entry resolved to, relative to `node_modules`. */
  readonly file: string;
  readonly names: string[];
}

/** Loads every entry point the project's own way (require or import) and reports what it resolved and exported. */
const ENTRY_SCRIPTS: Record<ProjectName, string> = {
  commonjs: `const { relative } = require('node:path');
const report = {};
for (const entry of ${JSON.stringify([...ENTRIES, '@warmscale/hpa-sim'])}) {
  report[entry] = { file: relative('node_modules', require.resolve(entry)), names: Object.keys(require(entry)).sort() };
}
console.log(JSON.stringify(report));
`,
  esm: `import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
const report = {};
for (const entry of ${JSON.stringify([...ENTRIES, '@warmscale/hpa-sim'])}) {
  const file = relative('node_modules', fileURLToPath(import.meta.resolve(entry)));
  report[entry] = { file, names: Object.keys(await import(entry)).sort() };
}
console.log(JSON.stringify(report));
`,
};

async function loadEntries(project: ProjectName): Promise<Record<string, EntryReport>> {
  await writeFile(join(projects[project], 'entries.js'), ENTRY_SCRIPTS[project]);
  const { stdout } = await run(process.execPath, ['entries.js'], { cwd: projects[project] });
  return JSON.parse(stdout) as Record<string, EntryReport>;
}

describe('every entry point, loaded by an installed consumer', () => {
  const build = { commonjs: 'dist/cjs', esm: 'dist' } as const;
  for (const project of Object.keys(PROJECTS) as ProjectName[]) {
    const how = project === 'commonjs' ? 'require()' : 'import';
    test(`${how} in a ${project} project loads ${build[project]}/ of each entry, with the expected exports`, async () => {
      const report = await loadEntries(project);
      const hpaSim = report['@warmscale/hpa-sim'];
      assert.deepEqual(report, {
        '@warmscale/middleware': {
          file: `@warmscale/middleware/${build[project]}/index.js`,
          names: EXPORTS['@warmscale/middleware'],
        },
        '@warmscale/middleware/express': {
          file: `@warmscale/middleware/${build[project]}/express.js`,
          names: EXPORTS['@warmscale/middleware/express'],
        },
        '@warmscale/middleware/http': {
          file: `@warmscale/middleware/${build[project]}/http.js`,
          names: EXPORTS['@warmscale/middleware/http'],
        },
        '@warmscale/hpa-sim': { file: `@warmscale/hpa-sim/${build[project]}/index.js`, names: hpaSim?.names },
      });
      // hpa-sim's API is its index.ts: the installed build exports what the workspace build exports.
      assert.deepEqual(hpaSim?.names, Object.keys(await import('@warmscale/hpa-sim')).sort());
    });
  }

  test('require() of /express and /http loads no Fastify (an optional peer an Express user does not install)', async () => {
    const script = `require('@warmscale/middleware/express');
require('@warmscale/middleware/http');
console.log(JSON.stringify(Object.keys(require.cache).filter((file) => file.includes('/node_modules/fastify/'))));
`;
    await writeFile(join(projects.commonjs, 'no-fastify.js'), script);
    const { stdout } = await run(process.execPath, ['no-fastify.js'], { cwd: projects.commonjs });
    assert.deepEqual(JSON.parse(stdout), []);
  });

  test('require() of @warmscale/middleware is a module Fastify registers as is (its default export)', async () => {
    const script = `const Fastify = require('fastify');
const app = Fastify();
app.register(require('@warmscale/middleware'));
app.get('/users/:id', async (request) => ({ id: request.params.id }));
app.ready().then(async () => {
  const user = await app.inject('/users/42');
  const metrics = await app.inject('/metrics');
  console.log(JSON.stringify({ status: user.statusCode, body: user.body, metrics: metrics.body }));
  await app.close();
});
`;
    await writeFile(join(projects.commonjs, 'register.js'), script);
    const { stdout } = await run(process.execPath, ['register.js'], { cwd: projects.commonjs, env: projectEnv() });
    const { status, body, metrics } = JSON.parse(stdout) as { status: number; body: string; metrics: string };
    assert.deepEqual({ status, body }, { status: 200, body: '{"id":"42"}' });
    assert.deepEqual(samples(metrics, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/users/:id",status="200"} 1',
    ]);
  });

  test('the installed warmscale-sim bin simulates an HPA manifest', async () => {
    await writeFile(
      join(projects.esm, 'hpa.yaml'),
      `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: demo }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: demo }
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Pods
      pods:
        metric: { name: httpserver_requests_qps }
        target: { type: AverageValue, averageValue: "100" }
`,
    );
    const bin = join(projects.esm, 'node_modules/.bin/warmscale-sim');
    const { stdout } = await run(bin, ['--hpa', 'hpa.yaml', '--profile', 'step'], { cwd: projects.esm });
    assert.equal(stdout.split('\n')[0], 'HPA default/demo: Pods httpserver_requests_qps 100/pod; replicas 2..10');
  });
});

/** A port free right now on 127.0.0.1; the examples listen on `PORT` and print nothing about it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Service {
  readonly url: string;
  /** stdout and stderr so far, for failure messages. */
  output(): string;
  stderr(): string;
  /** Sends SIGTERM and resolves with the exit code (or the signal that ended it). */
  stop(): Promise<number | string>;
}

/** Runs a shipped example in `project` on a free port, with no shutdown delay; resolves once /readyz answers 200. */
async function startExample(project: ProjectName, example: string): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, [join('examples', example)], {
    cwd: projects[project],
    env: projectEnv({ PORT: String(port), WARMSCALE_SHUTDOWN_DELAY_MS: '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
    stderr += chunk;
  });
  let exitCode: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      exitCode = code ?? signal ?? 'unknown';
      resolve(exitCode);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${example} exited (${exitCode}) before ready:\n${output}`);
    const status = await get(`${url}/readyz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${example}: /readyz did not answer 200 within 20 s (last: ${status}):\n${output}`);
    }
    await sleep(20);
  }
  return {
    url,
    output: () => output,
    stderr: () => stderr,
    stop() {
      if (exitCode === undefined) child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('the shipped examples, run from an installed consumer', () => {
  const runs: Array<{ project: ProjectName; example: string; framework: string }> = [
    { project: 'esm', example: 'fastify.mjs', framework: 'Fastify 5' },
    { project: 'esm', example: 'http.mjs', framework: 'node:http' },
    { project: 'esm', example: 'express.mjs', framework: 'Express 5' },
    { project: 'esm', example: 'express.cjs', framework: 'Express 5' },
    { project: 'commonjs', example: 'express.cjs', framework: 'Express 4' },
    { project: 'commonjs', example: 'express.mjs', framework: 'Express 4' },
  ];
  for (const { project, example, framework } of runs) {
    test(`examples/${example} on ${framework}: /readyz 200 after its warm-up step, GET /users/42 counted under route="/users/:id", SIGTERM exits 0`, async () => {
      const service = await startExample(project, example);
      let code: number | string;
      try {
        const user = await get(`${service.url}/users/42`);
        assert.deepEqual({ status: user.status, body: user.body }, { status: 200, body: '{"id":"42"}' });
        const metrics = (await get(`${service.url}/metrics`)).body;
        // Probes, scrapes and the warm-up request are not counted: the one user request is the only series.
        assert.deepEqual(samples(metrics, 'httpserver_requests_total'), [
          'httpserver_requests_total{method="GET",route="/users/:id",status="200"} 1',
        ]);
        assert.deepEqual(samples(metrics, 'warmscale_warmup_steps_total'), [
          'warmscale_warmup_steps_total{outcome="succeeded"} 1',
        ]);
      } finally {
        code = await service.stop();
      }
      assert.equal(code, 0, service.output());
      assert.equal(service.stderr(), '');
    });
  }
});

/** Uses every entry point's types the way an application does; each `@ts-expect-error` proves a type is not `any`. */
const CONSUMER_TS = `import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parseQuantity, type SimulationResult, simulate } from '@warmscale/hpa-sim';
import warmscale, { LifecycleState, type WarmscaleOptionsInput } from '@warmscale/middleware';
import { warmscale as forExpress, type WarmscaleServer } from '@warmscale/middleware/express';
import { type HttpOptions, warmscale as forHttp } from '@warmscale/middleware/http';
import express from 'express';
import Fastify from 'fastify';

const options: WarmscaleOptionsInput = { shutdown: { delayMs: 0 }, warmup: { budgetMs: 30_000 } };

const fastify = Fastify();
fastify.register(warmscale, options);
fastify.get('/users/:id', async () => 'user');
export const fastifyReady: boolean = fastify.warmscale.lifecycle.state === LifecycleState.Ready;

const app = express();
app.get('/users/:id', (req, res) => {
  res.json({ id: req.params.id });
});
export const expressService: WarmscaleServer = forExpress(app, options);
expressService.addWarmupStep({ inject: { url: '/users/1' }, times: 10 });
export const listening: Promise<Server> = expressService.listen(8080, '0.0.0.0');

const httpOptions: HttpOptions = { route: (req: IncomingMessage) => (req.url === '/' ? '/' : undefined) };
export const httpService: WarmscaleServer = forHttp((_req: IncomingMessage, res: ServerResponse) => {
  res.end();
}, httpOptions);
export const state: LifecycleState = httpService.lifecycle.state;
export const metricsText: Promise<string> = httpService.metricsText();

// @ts-expect-error shutdown.delayMs is a number of milliseconds
forHttp(() => {}, { shutdown: { delayMs: '5s' } });
// @ts-expect-error the Express adapter takes the application first
forExpress(options);
// @ts-expect-error the Fastify plugin is not called directly with options
warmscale({ metrics: {} });

export const quantity = parseQuantity('250m');
export const sim: (...args: Parameters<typeof simulate>) => SimulationResult = simulate;
// @ts-expect-error a quantity is a string or a number
parseQuantity({});
`;

// skipLibCheck stays off: with it on, a declaration that imports a package the consumer lacks turns into `any` silently.
describe('the shipped declarations, in a strict TypeScript consumer', { concurrency: availableParallelism() }, () => {
  before(async () => {
    for (const dir of Object.values(projects)) await writeFile(join(dir, 'consumer.ts'), CONSUMER_TS);
  });
  const configs: Array<{ project: ProjectName; flags: string[]; build: 'dist' | 'dist/cjs' }> = [
    { project: 'commonjs', flags: ['--module', 'commonjs', '--moduleResolution', 'node10'], build: 'dist/cjs' },
    { project: 'commonjs', flags: ['--module', 'nodenext'], build: 'dist/cjs' },
    { project: 'esm', flags: ['--module', 'nodenext'], build: 'dist' },
    { project: 'esm', flags: ['--module', 'esnext', '--moduleResolution', 'bundler'], build: 'dist' },
  ];
  for (const { project, flags, build } of configs) {
    test(`${flags.join(' ')} in a ${project} project compiles against ${build}/*.d.ts only`, async () => {
      const args = [tsc, '--strict', '--noEmit', '--target', 'es2022', '--esModuleInterop', '--listFiles', ...flags];
      const { stdout } = await run(process.execPath, [...args, 'consumer.ts'], { cwd: projects[project] }).catch(
        (error: { stdout?: string }) => assert.fail(`tsc ${flags.join(' ')}:\n${error.stdout}`),
      );
      // Every declaration of the packages comes from one build: mixing them would make two distinct `Lifecycle` types.
      const folders = new Set(
        stdout.split('\n').map((file) => /node_modules\/(@warmscale\/.+)\/[\w-]+\.d\.ts$/.exec(file)?.[1]),
      );
      folders.delete(undefined);
      assert.deepEqual([...folders].sort(), [`@warmscale/hpa-sim/${build}`, `@warmscale/middleware/${build}`]);
    });
  }
});
