/** Keeps the CPU busy for `ms` milliseconds: a stand-in for real request work that a QPS autoscaler must spread. */
export function burnCpu(ms: number): number {
  const until = performance.now() + ms;
  let spins = 0;
  while (performance.now() < until) spins++;
  return spins;
}
