import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Entry point of the built demo service. */
export const DEMO_MAIN: string = fileURLToPath(new URL('../../../apps/demo/dist/main.js', import.meta.url));

/** A demo service running as a child process on a port the kernel picked. */
export interface DemoProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every JSON log line the process printed so far. */
  readonly logs: ReadonlyArray<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Sends `signal` (SIGTERM by default) if still running and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface StartOptions {
  /** Arguments after the entry script. */
  readonly args?: readonly string[];
  /**
   * Give the process exactly `env` plus `PATH`, e.g. a Deployment's rendered environment, instead of the test
   * process's environment with `PORT=0`, `HOST=127.0.0.1` and `LOG_LEVEL=info`. @defaultValue false
   */
  readonly exactEnv?: boolean;
}

/** The test process's environment without `WARMSCALE_*`, so a variable set in the shell cannot change a test. */
function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('WARMSCALE_')));
}

/**
 * Starts the demo (or another service `entry` built on the middleware) with `PORT=0` on 127.0.0.1 and resolves once
 * it logs its listening address. The process is killed when the test process exits, so a failing test never leaves
 * it behind.
 */
export function startDemo(
  env: Record<string, string> = {},
  entry: string = DEMO_MAIN,
  options: StartOptions = {},
): Promise<DemoProcess> {
  const child = spawn(process.execPath, [entry, ...(options.args ?? [])], {
    env: options.exactEnv
      ? { PATH: process.env.PATH, ...env }
      : { ...inheritedEnv(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  // 'close', not 'exit': it comes after the output pipes are drained, so `logs` holds the process's last lines.
  const exited = new Promise<number | string>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(String(entry.msg));
      if (match === null) return;
      const port = Number(match[1]);
      resolve({
        child,
        pid: child.pid ?? -1,
        port,
        url: `http://127.0.0.1:${port}`,
        logs,
        exited,
        async stop(signal: NodeJS.Signals = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
    exited.then((code) => reject(new Error(`demo exited (${code}) before listening: ${stderr}`)));
  });
}

/**
 * Resolves with the first log line of `demo` that `matches`, waiting for it if it has not come yet; a generous
 * deadline only turns a missing line into a failure instead of a hang.
 */
export async function waitForLog(
  demo: DemoProcess,
  matches: (line: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = demo.logs.find(matches);
    if (found !== undefined) return found;
    if (demo.child.exitCode !== null) throw new Error('the process exited before logging the line');
    if (Date.now() > deadline) throw new Error('the line was not logged within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
