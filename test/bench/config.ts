import { parseArgs } from 'node:util';
import type { QuietPolicy } from './interference.js';

export const SCENARIOS = ['overhead', 'scrape', 'cardinality', 'warmup', 'shutdown', 'breakdown', 'admission'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Every knob of a run. `--quick` shrinks each scenario so CI can check it still works in about a minute. */
export interface BenchConfig {
  readonly quick: boolean;
  /** Interleaved rounds of every scenario. */
  readonly rounds: number;
  readonly scenarios: readonly Scenario[];
  /** Where the report goes; undefined means `docs/` (full runs of every scenario only). */
  readonly outDir: string | undefined;
  /**
   * A partial run also writes the sections of its scenarios into `docs/benchmarks.md`, in place of those sections of
   * the run the file holds, each under the date, command and machine it was measured with.
   */
  readonly docsSections: boolean;
  /** The arguments as given, for the "exact command" line of the report. */
  readonly argv: readonly string[];
  /** Applies to the scrape runs (the overhead runs are bracketed by bare-Fastify runs instead). */
  readonly quiet: QuietPolicy;
  readonly overhead: {
    readonly connections: number;
    /** Unmeasured, at the start of each paired run (both processes are fresh). */
    readonly warmupSec: number;
    readonly durationSec: number;
  };
  readonly scrape: { readonly requestsPerLabelSet: number; readonly scrapes: number; readonly warmupScrapes: number };
  readonly cardinality: {
    readonly warmupRequests: number;
    readonly requests: number;
    readonly connections: number;
    readonly scrapes: number;
  };
  readonly warmup: { readonly requests: number; readonly concurrency: number };
  readonly shutdown: {
    readonly delayMs: number;
    readonly propagationMs: number;
    readonly loadBeforeMs: number;
    readonly workers: number;
    readonly intervalMs: number;
  };
  /** Paired runs, as the overhead scenario's. */
  readonly admission: {
    readonly connections: number;
    readonly warmupSec: number;
    readonly primeSec: number;
    readonly durationSec: number;
  };
}

const USAGE =
  'usage: npm run bench -- [--quick] [--rounds N] [--only overhead,scrape,...] [--out DIR] [--docs-sections]';

export function readConfig(argv: readonly string[]): BenchConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
      'docs-sections': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const rounds = values.rounds === undefined ? (quick ? 1 : 7) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer\n${USAGE}`);
  const scenarios = values.only === undefined ? [...SCENARIOS] : values.only.split(',');
  for (const name of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})\n${USAGE}`);
    }
  }
  return {
    quick,
    rounds,
    scenarios: scenarios as Scenario[],
    outDir: values.out,
    docsSections: values['docs-sections'] === true,
    argv,
    quiet: { attempts: quick ? 1 : 3, waitSec: quick ? 0 : 5 },
    // 50 keep-alive connections, as the reference figures were measured with; short runs, each bracketed by bare
    // Fastify runs, follow the machine's drift more closely than long ones.
    overhead: { connections: 50, warmupSec: quick ? 1 : 6, durationSec: quick ? 1 : 4 },
    scrape: { requestsPerLabelSet: quick ? 2 : 20, scrapes: quick ? 20 : 200, warmupScrapes: 5 },
    cardinality: {
      warmupRequests: quick ? 500 : 3000,
      requests: quick ? 2000 : 20_000,
      connections: 20,
      scrapes: quick ? 5 : 20,
    },
    warmup: { requests: 50, concurrency: 10 },
    // The delay must outlast the time the load balancer takes to stop routing to a terminating pod; both are scaled
    // down from Kubernetes' seconds so a round takes a few seconds.
    shutdown: {
      delayMs: quick ? 1000 : 2000,
      propagationMs: quick ? 500 : 1000,
      loadBeforeMs: quick ? 500 : 1000,
      workers: 8,
      intervalMs: 8,
    },
    admission: { connections: 50, warmupSec: quick ? 1 : 5, primeSec: quick ? 0.5 : 1, durationSec: quick ? 1 : 3 },
  };
}
