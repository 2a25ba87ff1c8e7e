import { fileURLToPath } from 'node:url';
import type { BenchConfig } from '../config.js';
import { exitOf, SERVER_CORE, spawnNode } from '../processes.js';

/** One operation of the request path, in ns per call. */
export interface OperationCost {
  readonly name: string;
  readonly ns: number;
}

/** Serializing one group of metrics as `/metrics` does, in server CPU ms per scrape. */
export interface SerializationCost {
  readonly name: string;
  readonly series: number;
  readonly cpuMs: number;
}

export interface Breakdown {
  /** Each operation's figure is the best of `loopRepeats` loops of `loopCalls` calls. */
  readonly loopCalls: number;
  readonly loopRepeats: number;
  /** Each serialization's figure is the median of this many. */
  readonly scrapes: number;
  readonly operations: readonly OperationCost[];
  readonly serialization: readonly SerializationCost[];
}

const SCRIPT = fileURLToPath(new URL('../breakdown-process.js', import.meta.url));

/** Runs the breakdown in its own process on the server core (fresh JIT and heap, no other load). */
export async function runBreakdown(config: BenchConfig, log: (line: string) => void): Promise<Breakdown> {
  const child = spawnNode(SERVER_CORE, SCRIPT, config.quick ? ['--quick'] : []);
  let stdout = '';
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
  });
  await exitOf(child);
  if (child.exitCode !== 0) throw new Error(`breakdown process failed (${child.exitCode ?? child.signalCode})`);
  const breakdown = JSON.parse(stdout) as Breakdown;
  for (const op of breakdown.operations) log(`breakdown: ${op.name}: ${op.ns.toFixed(0)} ns`);
  for (const s of breakdown.serialization)
    log(`breakdown: ${s.name}: ${s.series} series, ${s.cpuMs.toFixed(2)} ms CPU`);
  return breakdown;
}
