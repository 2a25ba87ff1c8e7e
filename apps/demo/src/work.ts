import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/** Longest stretch of CPU burnt without letting other requests in. */
const SLICE_MS = 5;

/**
 * Burns `ms` milliseconds of CPU, the stand-in for real request work that a QPS autoscaler must spread. It yields to
 * the event loop every few milliseconds, as real handlers do between awaits, so other requests interleave and a slow
 * request is genuinely in flight while the server drains. It stops early once `signal` aborts (the client left), and resolves with the milliseconds it burnt.
 */
export async function burnCpu(ms: number, signal?: AbortSignal): Promise<number> {
  let remaining = ms;
  while (remaining > 0 && signal?.aborted !== true) {
    const slice = Math.min(SLICE_MS, remaining);
    const until = performance.now() + slice;
    while (performance.now() < until);
    remaining -= slice;
    if (remaining > 0) await yieldToEventLoop();
  }
  return ms - remaining;
}
