import { machineBusySeconds, ownAndReapedChildrenCpuSeconds } from './proc.js';

/**
 * Watches how much CPU the rest of the machine used while a measurement ran: everything busy minus the server under
 * test, this orchestrator and its finished load generators. On a shared box a compile or a test suite landing on the
 * server's core halves its throughput; this figure tells such a sample apart from a real regression.
 */
export function watchInterference(serverCpuSeconds: () => number): () => number {
  const startedAt = performance.now();
  const busy = machineBusySeconds();
  const own = ownAndReapedChildrenCpuSeconds();
  const server = serverCpuSeconds();
  /** Returns the foreign load since the watch started, in cores (0.25 = a quarter of one core). */
  return function foreignCores(): number {
    const wallSeconds = (performance.now() - startedAt) / 1000;
    const foreign =
      machineBusySeconds() - busy - (ownAndReapedChildrenCpuSeconds() - own) - (serverCpuSeconds() - server);
    return Math.max(0, foreign) / wallSeconds;
  };
}

/** Foreign load (in cores) above which a measurement counts as disturbed. */
export const QUIET_CORES = 0.15;

/**
 * Waits, at most `maxSec`, for a one-second window in which the rest of the machine stayed under {@link QUIET_CORES}:
 * neighbours on a shared VM come in bursts, and starting a run inside one wastes it. Returns the last window's load.
 */
export async function waitForQuiet(maxSec: number): Promise<number | undefined> {
  if (maxSec <= 0) return undefined;
  const deadline = performance.now() + maxSec * 1000;
  for (;;) {
    const foreignCores = watchInterference(() => 0);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const load = foreignCores();
    if (load <= QUIET_CORES || performance.now() >= deadline) return load;
  }
}

/** How hard the harness tries to measure on a quiet machine. */
export interface QuietPolicy {
  /** Runs per sample at most, while other processes disturb it. */
  readonly attempts: number;
  /** Longest wait for a quiet second before each run. */
  readonly waitSec: number;
}

/**
 * Runs `measure` (which reports the foreign load during its measured window) after waiting for a quiet machine, and
 * again while the run was disturbed, up to `policy.attempts` runs; returns the least disturbed run. A machine that
 * never turned quiet while waiting is busy for longer than a retry would last, so that run is kept as it is.
 */
export async function leastDisturbed<S extends { readonly foreignCores: number }>(
  policy: QuietPolicy,
  measure: () => Promise<S>,
): Promise<S & { readonly attempts: number }> {
  let best: (S & { readonly attempts: number }) | undefined;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    const before = await waitForQuiet(policy.waitSec);
    const sample = { ...(await measure()), attempts: attempt };
    if (best === undefined || sample.foreignCores < best.foreignCores) best = sample;
    if (sample.foreignCores <= QUIET_CORES || (before ?? 0) > QUIET_CORES) break;
  }
  return best as S & { readonly attempts: number };
}
