import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';

/**
 * Servers run on one core and the load generator (and this orchestrator) on the other, so the load never competes
 * with the server it measures. Without `taskset` or a second core everything shares the machine, and the report says so.
 */
export const PINNED: boolean =
  cpus().length >= 2 && spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Runs `command` on `core` (stdin and stdout piped); the child is killed by PID if this process exits first. */
export function spawnOn(core: number, command: string, args: readonly string[]): ChildProcess {
  // taskset execs the command in place, so the child's PID is the command's PID (what /proc is read for).
  const child = PINNED
    ? spawn('taskset', ['-c', String(core), command, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Runs `node <script> ...args` on `core`. */
export function spawnNode(core: number, script: string, args: readonly string[] = []): ChildProcess {
  return spawnOn(core, process.execPath, [script, ...args]);
}

/** Moves every thread of a running process (one this orchestrator did not spawn through {@link spawnNode}) to `core`. */
export function pin(pid: number, core: number): void {
  if (!PINNED) return;
  const result = spawnSync('taskset', ['-a', '-c', '-p', String(core), String(pid)], { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`taskset could not pin process ${pid} to core ${core}`);
}

/** Resolves once the child has exited (at once if it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGKILL by PID and wait for the exit. */
export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exitOf(child);
}
