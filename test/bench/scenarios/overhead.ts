import type { BenchConfig } from '../config.js';
import { watchInterference } from '../interference.js';
import { type LoadResult, runLoad } from '../load.js';
import { perRound, rotated } from '../rounds.js';
import { type BenchServer, startServer, VARIANTS, type Variant } from '../server.js';
import { type Spread, spread } from '../stats.js';

/** Throughput and CPU per request of one measured run. */
interface RunFigures {
  readonly requestsPerSec: number;
  /** Server CPU (user + system) over the measured run, per response. */
  readonly cpuUsPerRequest: number;
}

/** One measured run of one variant. */
export interface OverheadSample extends RunFigures {
  readonly round: number;
  readonly variant: Variant;
  readonly latencyP99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  /** Connections the server ended with `Connection: close` (connection recycling), after which the client reconnected. */
  readonly closedByServer: number;
  /** CPU the rest of the machine used during the run, in cores (see interference.ts). */
  readonly foreignCores: number;
  /** For a plugin variant: the mean of the two bare-Fastify runs right before and right after it. */
  readonly bracket?: RunFigures;
}

export interface OverheadSummary {
  readonly variant: Variant;
  readonly description: string;
  readonly requestsPerSec: Spread;
  readonly cpuUsPerRequest: Spread;
  readonly latencyP99Ms: Spread;
  /** Per run: this variant's throughput / that of the bare runs bracketing it. */
  readonly throughputRatio: Spread;
  /** Per run: this variant's CPU per request / that of the bare runs bracketing it. */
  readonly cpuRatio: Spread;
  /** The variant this row's added cost is measured against (bare, or bare inside a span for the traced row). */
  readonly baseline: Variant;
  /** Per round: CPU µs per request above the bracketing bare runs, minus the same figure of the baseline. */
  readonly addedCpuUs: Spread;
  readonly errors: number;
  readonly non2xx: number;
  readonly closedByServer: number;
}

/** One paired run: a plugin variant and its baseline, both loaded at the same time on the server core. */
export interface PairedSample {
  readonly round: number;
  readonly variant: Variant;
  readonly baseline: Variant;
  readonly cpuUsPerRequest: number;
  readonly baselineCpuUsPerRequest: number;
}

export interface PairedSummary {
  readonly variant: Variant;
  readonly baseline: Variant;
  /** Per round: this variant's CPU per request / its baseline's, measured over the same seconds. */
  readonly cpuRatio: Spread;
  /** Per round: the difference, in µs per request. */
  readonly addedCpuUs: Spread;
}

export interface OverheadResult {
  readonly connections: number;
  readonly warmupSec: number;
  readonly primeSec: number;
  readonly durationSec: number;
  readonly samples: readonly OverheadSample[];
  readonly summaries: readonly OverheadSummary[];
  readonly paired: readonly PairedSample[];
  readonly pairedSummaries: readonly PairedSummary[];
}

const ORDER: readonly Variant[] = [
  'bare',
  'warmscale',
  'warmscale-no-recycle',
  'counter-hook',
  'fastify-metrics',
  'warmscale-traced',
  'bare-traced',
];
const PLUGINS: readonly Variant[] = ORDER.filter((variant) => variant !== 'bare');
const BASELINE: Readonly<Record<Variant, Variant>> = {
  bare: 'bare',
  warmscale: 'bare',
  'warmscale-no-recycle': 'bare',
  'counter-hook': 'bare',
  'fastify-metrics': 'bare',
  'warmscale-traced': 'bare-traced',
  'bare-traced': 'bare',
  // Measured by the admission scenario, not here.
  'warmscale-admission': 'bare',
  'warmscale-no-admission': 'bare',
  'warmscale-shed': 'bare',
};

/** One measured run, right after a short unmeasured one. */
async function measure(server: BenchServer, round: number, config: BenchConfig): Promise<OverheadSample> {
  const { connections, durationSec, primeSec } = config.overhead;
  // A server idle for a while restarts slowly (V8 shrinks an idle heap, the caches went to the other servers), and
  // the plugin servers idle longer between their runs than bare Fastify does: priming every run alike keeps the
  // bracket fair.
  await runLoad({ url: server.url, paths: 'hello', connections, durationSec: primeSec });
  const cpuBefore = server.cpuSeconds();
  const foreignCores = watchInterference(server.cpuSeconds);
  const load = await runLoad({ url: server.url, paths: 'hello', connections, durationSec });
  const cpu = server.cpuSeconds() - cpuBefore;
  return {
    round,
    variant: server.variant,
    requestsPerSec: load.requestsPerSec,
    cpuUsPerRequest: (cpu * 1e6) / load.requests,
    latencyP99Ms: load.latencyP99Ms,
    errors: load.errors,
    non2xx: load.non2xx,
    closedByServer: load.closedByServer,
    foreignCores: foreignCores(),
  };
}

/**
 * A plugin variant and its baseline served at the same time, both on the server core, each with half the
 * connections from its own load process. Whatever the machine does during those seconds (steal, frequency, a
 * neighbour) it does to both, so their CPU per request differs by what the plugin costs, far more steadily than
 * runs taken one after the other.
 */
async function measurePaired(
  server: BenchServer,
  baseline: BenchServer,
  round: number,
  config: BenchConfig,
): Promise<PairedSample> {
  const { connections, durationSec, primeSec } = config.overhead;
  const half = Math.max(1, Math.floor(connections / 2));
  const both = (durationSec: number) =>
    Promise.all([server, baseline].map((s) => runLoad({ url: s.url, paths: 'hello', connections: half, durationSec })));
  await both(primeSec);
  const cpuBefore = [server.cpuSeconds(), baseline.cpuSeconds()];
  const [own, base] = await both(durationSec);
  const usPerRequest = (s: BenchServer, index: number, requests: number) =>
    ((s.cpuSeconds() - (cpuBefore[index] as number)) * 1e6) / requests;
  return {
    round,
    variant: server.variant,
    baseline: baseline.variant,
    cpuUsPerRequest: usPerRequest(server, 0, (own as LoadResult).requests),
    baselineCpuUsPerRequest: usPerRequest(baseline, 1, (base as LoadResult).requests),
  };
}

function summarizePaired(samples: readonly PairedSample[]): PairedSummary[] {
  return PLUGINS.map((variant) => {
    const own = samples.filter((s) => s.variant === variant);
    return {
      variant,
      baseline: BASELINE[variant],
      cpuRatio: spread(own.map((s) => s.cpuUsPerRequest / s.baselineCpuUsPerRequest)),
      addedCpuUs: spread(own.map((s) => s.cpuUsPerRequest - s.baselineCpuUsPerRequest)),
    };
  });
}

function mean(a: RunFigures, b: RunFigures): RunFigures {
  return {
    requestsPerSec: (a.requestsPerSec + b.requestsPerSec) / 2,
    cpuUsPerRequest: (a.cpuUsPerRequest + b.cpuUsPerRequest) / 2,
  };
}

/** A plugin run's CPU per request above the bare runs bracketing it (0 for bare itself). */
function aboveBracket(sample: OverheadSample): number {
  return sample.bracket === undefined ? 0 : sample.cpuUsPerRequest - sample.bracket.cpuUsPerRequest;
}

function summarize(samples: readonly OverheadSample[]): OverheadSummary[] {
  const of = (variant: Variant) => samples.filter((s) => s.variant === variant);
  return ORDER.map((variant) => {
    const own = of(variant);
    const baseline = BASELINE[variant];
    const ratio = (figure: keyof RunFigures) =>
      spread(own.map((s) => (s.bracket === undefined ? 1 : s[figure] / s.bracket[figure])));
    return {
      variant,
      description: VARIANTS[variant],
      requestsPerSec: spread(own.map((s) => s.requestsPerSec)),
      cpuUsPerRequest: spread(own.map((s) => s.cpuUsPerRequest)),
      latencyP99Ms: spread(own.map((s) => s.latencyP99Ms)),
      throughputRatio: ratio('requestsPerSec'),
      cpuRatio: ratio('cpuUsPerRequest'),
      baseline,
      addedCpuUs: spread(
        baseline === 'bare'
          ? own.map(aboveBracket)
          : perRound(own, of(baseline), (o, b) => aboveBracket(o) - aboveBracket(b)),
      ),
      errors: own.reduce((sum, s) => sum + s.errors, 0),
      non2xx: own.reduce((sum, s) => sum + s.non2xx, 0),
      closedByServer: own.reduce((sum, s) => sum + s.closedByServer, 0),
    };
  });
}

/**
 * Starts every variant once and keeps it for all rounds, as a pod serves for hours. A shared machine drifts by tens
 * of percent within a minute (neighbours, steal, the load generator's own share of the host), so every plugin run
 * is bracketed by two bare-Fastify runs, and its ratios are taken against their mean: bare, A, bare, B, bare, ...
 * with the plugin order rotating from round to round.
 */
export async function runOverhead(config: BenchConfig, log: (line: string) => void): Promise<OverheadResult> {
  const { connections, warmupSec } = config.overhead;
  const servers = new Map<Variant, BenchServer>();
  const serverOf = (variant: Variant) => servers.get(variant) as BenchServer;
  const report = (sample: OverheadSample) =>
    log(
      `overhead round ${sample.round} ${sample.variant}: ${Math.round(sample.requestsPerSec)} req/s, ` +
        `${sample.cpuUsPerRequest.toFixed(1)} µs CPU/req` +
        (sample.bracket === undefined
          ? ''
          : ` (${(sample.cpuUsPerRequest / sample.bracket.cpuUsPerRequest).toFixed(2)}x bare)`) +
        `, foreign load ${sample.foreignCores.toFixed(2)} cores`,
    );
  try {
    for (const variant of ORDER) {
      const server = await startServer(variant);
      servers.set(variant, server);
      // JIT, connection setup and the first GCs belong to the warm-up, not to the figures.
      await runLoad({ url: server.url, paths: 'hello', connections, durationSec: warmupSec });
    }
    const samples: OverheadSample[] = [];
    for (let round = 1; round <= config.rounds; round++) {
      let before = await measure(serverOf('bare'), round, config);
      samples.push(before);
      report(before);
      for (const variant of rotated(PLUGINS, round)) {
        const run = await measure(serverOf(variant), round, config);
        const after = await measure(serverOf('bare'), round, config);
        const sample = { ...run, bracket: mean(before, after) };
        samples.push(sample, after);
        report(sample);
        report(after);
        before = after;
      }
    }
    const paired: PairedSample[] = [];
    for (let round = 1; round <= config.rounds; round++) {
      for (const variant of rotated(PLUGINS, round)) {
        const sample = await measurePaired(serverOf(variant), serverOf(BASELINE[variant]), round, config);
        paired.push(sample);
        log(
          `overhead paired round ${round} ${variant}: ${sample.cpuUsPerRequest.toFixed(1)} µs CPU/req beside ` +
            `${sample.baseline} ${sample.baselineCpuUsPerRequest.toFixed(1)} ` +
            `(${(sample.cpuUsPerRequest / sample.baselineCpuUsPerRequest).toFixed(2)}x)`,
        );
      }
    }
    return {
      ...config.overhead,
      samples,
      summaries: summarize(samples),
      paired,
      pairedSummaries: summarizePaired(paired),
    };
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
}
