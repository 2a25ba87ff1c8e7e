import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { drainMs, type GeneratorMessage, type GeneratorSpec, type RequestRecord } from './load-generator.js';
import { profileSeconds } from './profile.js';

export type { GeneratorSpec, RequestRecord, RetryPolicy, Shed } from './load-generator.js';

/**
 * What the generator sent: requests (every attempt), keep-alive connections it opened, requests sent on a fresh
 * connection, closed-loop clients it started.
 */
export interface GeneratorTotals {
  readonly sent: number;
  readonly connections: number;
  readonly fresh: number;
  readonly clients: number;
}

export interface RunningLoadGenerator {
  readonly pid: number;
  /** Resolves when the profile has run out and the last response is in. */
  readonly done: Promise<GeneratorTotals>;
  /** Stops sending early; `done` still resolves. */
  stop(): void;
  /** Kills the process (teardown after a failure). */
  kill(): void;
}

const GENERATOR = fileURLToPath(new URL('./load-generator.js', import.meta.url));

/**
 * Starts the load generator process; `onRecords` receives the finished requests about once a second. The process is
 * killed when this one exits, and a little after the profile's end (and the retries it may still owe) if it never
 * finished.
 */
export function startLoadGenerator(
  spec: GeneratorSpec,
  onRecords: (records: RequestRecord[]) => void,
): RunningLoadGenerator {
  const child = fork(GENERATOR, [JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const hardLimit = setTimeout(
    kill,
    Math.max(0, spec.startAt - Date.now()) + (profileSeconds(spec.profile) + 30) * 1000 + drainMs(spec),
  );
  hardLimit.unref();
  const done = new Promise<GeneratorTotals>((resolve, reject) => {
    child.on('message', (raw) => {
      const message = raw as unknown as GeneratorMessage;
      if (message.type === 'records') onRecords(message.records);
      else if (message.type === 'done') {
        resolve({
          sent: message.sent,
          connections: message.connections,
          fresh: message.fresh,
          clients: message.clients,
        });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(hardLimit);
      process.removeListener('exit', kill);
      reject(new Error(`load generator exited (${code ?? signal}) before it finished`));
    });
  });
  done.catch(() => {});
  return {
    pid: child.pid ?? -1,
    done,
    stop() {
      if (child.connected) child.send('stop');
    },
    kill,
  };
}
