import { spawnSync } from 'node:child_process';
import { exitOf, kill, LOAD_CORE, spawnOn } from './processes.js';

/** One wrk run: keep-alive connections on one path, for a fixed time. */
export interface WrkSpec {
  readonly url: string;
  readonly connections: number;
  /** Whole seconds (wrk takes no fractions). */
  readonly durationSec: number;
}

export interface WrkResult {
  /** Responses received. */
  readonly requests: number;
  readonly non2xx: number;
  /** Connect, read, write and timeout errors. */
  readonly errors: number;
}

/** Slack over the run's own duration before a wrk that did not stop itself is killed. */
const STALL_MS = 30_000;

/** Reads wrk's summary: `N requests in`, `Non-2xx or 3xx responses: N`, `Socket errors: connect N, read N, ...`. */
export function parseWrk(output: string): WrkResult {
  const requests = /(\d+) requests in /.exec(output);
  if (requests === null) throw new Error(`wrk printed no request count:\n${output}`);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const socketErrors = /Socket errors: (.*)/.exec(output)?.[1] ?? '';
  const errors = [...socketErrors.matchAll(/\d+/g)].reduce((sum, [n]) => sum + Number(n), 0);
  return { requests: Number(requests[1]), non2xx: Number(non2xx?.[1] ?? 0), errors };
}

/**
 * Runs wrk (one thread) on the load core. wrk reconnects when a response says `Connection: close`, as real clients
 * do, so a server that recycles connections is measured serving, not refusing.
 */
export async function runWrk(spec: WrkSpec): Promise<WrkResult> {
  if (!Number.isInteger(spec.durationSec) || spec.durationSec < 1) {
    throw new Error(`wrk runs whole seconds, not ${spec.durationSec}`);
  }
  const args = ['-t1', `-c${spec.connections}`, `-d${spec.durationSec}s`, spec.url];
  const child = spawnOn(LOAD_CORE, 'wrk', args);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  const stalled = setTimeout(() => void kill(child), spec.durationSec * 1000 + STALL_MS);
  await exitOf(child);
  clearTimeout(stalled);
  if (child.exitCode !== 0) throw new Error(`wrk failed (${child.exitCode ?? child.signalCode}):\n${output}`);
  return parseWrk(output);
}

/** wrk's version as it prints it (`wrk debian/4.1.0-3+b2 [epoll] ...`), or "not installed". */
export function wrkVersion(): string {
  const printed = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  return /^wrk (\S+)/m.exec(`${printed.stdout ?? ''}${printed.stderr ?? ''}`)?.[1] ?? 'not installed';
}
