import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadSpec, LoadSummary } from './keepalive-load.js';

export type { LoadSpec, LoadSummary } from './keepalive-load.js';

export interface RunningLoad {
  readonly pid: number;
  /** Stops issuing requests, waits for the in-flight ones and resolves with the summary. */
  stop(): Promise<LoadSummary>;
}

const GENERATOR = fileURLToPath(new URL('./keepalive-load.js', import.meta.url));

/** Starts the keep-alive generator in its own process; it is killed if the test process exits first. */
export function startLoad(spec: LoadSpec): Promise<RunningLoad> {
  const child = fork(GENERATOR, [JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const summary = new Promise<LoadSummary>((resolve, reject) => {
    child.on('message', (message) => {
      if (typeof message === 'object') resolve(message as unknown as LoadSummary);
    });
    child.once('exit', (code) => {
      process.removeListener('exit', kill);
      reject(new Error(`load generator exited (${code}) without a summary`));
    });
  });
  summary.catch(() => {});
  return new Promise((resolve, reject) => {
    child.once('message', (message) => {
      if (message !== 'started') return;
      resolve({
        pid: child.pid ?? -1,
        stop() {
          child.send('stop');
          return summary;
        },
      });
    });
    child.once('error', reject);
  });
}
