import { fileURLToPath } from 'node:url';
import { exitOf, kill, LOAD_CORE, spawnNode } from './processes.js';

/** Which paths the load generator requests (see routes.ts). */
export type PathMix = 'hello' | 'routes' | 'unknown';

/** One autocannon run; bounded by `amount` requests, else by `durationSec`. */
export interface LoadSpec {
  readonly url: string;
  readonly paths: PathMix;
  readonly connections: number;
  readonly durationSec?: number;
  readonly amount?: number;
  /** Send `Connection: close` with every request: a new connection per request. */
  readonly close?: boolean;
}

export interface LoadResult {
  /** Responses received. */
  readonly requests: number;
  readonly durationSec: number;
  readonly requestsPerSec: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly non2xx: number;
  /** Connections the server ended with `Connection: close` (the generator then reconnects, as real clients do). */
  readonly closedByServer: number;
}

const LOAD_SCRIPT = fileURLToPath(new URL('./load-process.js', import.meta.url));
/** Slack over the run's own bound before the orchestrator kills a load process that did not stop itself. */
const STALL_MS = 30_000;

/** Runs autocannon in its own process on the load core and returns its summary. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const child = spawnNode(LOAD_CORE, LOAD_SCRIPT, [JSON.stringify(spec)]);
  let stdout = '';
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
  });
  const limitMs = (spec.durationSec ?? 60) * 1000 + STALL_MS;
  const stalled = setTimeout(() => void kill(child), limitMs);
  await exitOf(child);
  clearTimeout(stalled);
  if (child.exitCode !== 0) throw new Error(`load process failed (${child.exitCode ?? child.signalCode}): ${stdout}`);
  return JSON.parse(stdout) as LoadResult;
}
