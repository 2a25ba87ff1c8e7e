import { type ClientRequest, request } from 'node:http';
import { get } from '../../support/http.js';
import type { BenchConfig } from '../config.js';
import { type LoadResult, runLoad } from '../load.js';
import { rotated } from '../rounds.js';
import { HELLO_PATH, HOLD_PATH } from '../routes.js';
import { type BenchServer, startServer, VARIANTS, type Variant } from '../server.js';
import { type Spread, spread } from '../stats.js';

/** One side of a paired run: a server and how its load connects. */
interface Side {
  readonly variant: Variant;
  /** A new connection per request (`Connection: close`), as every shed answer forces. */
  readonly close: boolean;
}

/** Two loads measured over the same seconds, both servers on the server core. */
interface PairSpec {
  readonly name: string;
  readonly measured: Side;
  readonly baseline: Side;
}

/** What admission control costs on a served request: each variant beside bare Fastify, and on beside off. */
const COST_PAIRS: readonly PairSpec[] = [
  {
    name: 'admission on / bare',
    measured: { variant: 'warmscale-admission', close: false },
    baseline: { variant: 'bare', close: false },
  },
  {
    name: 'admission off / bare',
    measured: { variant: 'warmscale-no-admission', close: false },
    baseline: { variant: 'bare', close: false },
  },
  {
    name: 'admission on / off',
    measured: { variant: 'warmscale-admission', close: false },
    baseline: { variant: 'warmscale-no-admission', close: false },
  },
];

/**
 * What a shed answer costs against a served one: every request to `warmscale-shed` is shed, and its 503 closes the
 * connection, so it is measured beside served requests on keep-alive connections and on a new connection each.
 */
const SHED_PAIRS: readonly PairSpec[] = [
  {
    name: 'shed / served, keep-alive',
    measured: { variant: 'warmscale-shed', close: false },
    baseline: { variant: 'warmscale-admission', close: false },
  },
  {
    name: 'shed / served, new connection each',
    measured: { variant: 'warmscale-shed', close: false },
    baseline: { variant: 'warmscale-admission', close: true },
  },
];

/** One paired run. */
export interface AdmissionSample {
  readonly round: number;
  readonly pair: string;
  readonly cpuUsPerRequest: number;
  readonly baselineCpuUsPerRequest: number;
  /** Answers the measured side got that were not 2xx (for the shed server: all of them). */
  readonly non2xx: number;
  readonly requests: number;
}

export interface AdmissionSummary {
  readonly pair: string;
  readonly measured: Side & { readonly description: string };
  readonly baseline: Side & { readonly description: string };
  readonly cpuUsPerRequest: Spread;
  readonly baselineCpuUsPerRequest: Spread;
  /** Per round: measured / baseline CPU per request. */
  readonly cpuRatio: Spread;
  /** Per round: the difference, in µs per request. */
  readonly addedCpuUs: Spread;
  /** Share of the measured side's answers that were not 2xx, over all rounds. */
  readonly non2xxShare: number;
}

export interface AdmissionResult {
  readonly connections: number;
  readonly warmupSec: number;
  readonly primeSec: number;
  readonly durationSec: number;
  readonly samples: readonly AdmissionSample[];
  readonly cost: readonly AdmissionSummary[];
  readonly shed: readonly AdmissionSummary[];
}

const VARIANTS_USED: readonly Variant[] = ['bare', 'warmscale-admission', 'warmscale-no-admission', 'warmscale-shed'];

function load(server: BenchServer, side: Side, connections: number, durationSec: number): Promise<LoadResult> {
  return runLoad({ url: server.url, paths: 'hello', connections, durationSec, close: side.close });
}

/** Both sides loaded at once, each with half the connections from its own load process. */
async function measurePair(
  servers: ReadonlyMap<Variant, BenchServer>,
  spec: PairSpec,
  round: number,
  config: BenchConfig,
): Promise<AdmissionSample> {
  const { connections, primeSec, durationSec } = config.admission;
  const half = Math.max(1, Math.floor(connections / 2));
  const sides = [spec.measured, spec.baseline];
  const targets = sides.map((side) => servers.get(side.variant) as BenchServer);
  const both = (seconds: number) =>
    Promise.all(sides.map((side, index) => load(targets[index] as BenchServer, side, half, seconds)));
  await both(primeSec);
  const before = targets.map((server) => server.cpuSeconds());
  const [own, base] = (await both(durationSec)) as [LoadResult, LoadResult];
  const usPerRequest = (index: number, requests: number) =>
    (((targets[index] as BenchServer).cpuSeconds() - (before[index] as number)) * 1e6) / requests;
  return {
    round,
    pair: spec.name,
    cpuUsPerRequest: usPerRequest(0, own.requests),
    baselineCpuUsPerRequest: usPerRequest(1, base.requests),
    non2xx: own.non2xx,
    requests: own.requests,
  };
}

function summarize(specs: readonly PairSpec[], samples: readonly AdmissionSample[]): AdmissionSummary[] {
  return specs.map((spec) => {
    const own = samples.filter((s) => s.pair === spec.name);
    const describe = (side: Side) => ({ ...side, description: VARIANTS[side.variant] });
    return {
      pair: spec.name,
      measured: describe(spec.measured),
      baseline: describe(spec.baseline),
      cpuUsPerRequest: spread(own.map((s) => s.cpuUsPerRequest)),
      baselineCpuUsPerRequest: spread(own.map((s) => s.baselineCpuUsPerRequest)),
      cpuRatio: spread(own.map((s) => s.cpuUsPerRequest / s.baselineCpuUsPerRequest)),
      addedCpuUs: spread(own.map((s) => s.cpuUsPerRequest - s.baselineCpuUsPerRequest)),
      non2xxShare:
        own.reduce((sum, s) => sum + s.non2xx, 0) /
        Math.max(
          1,
          own.reduce((sum, s) => sum + s.requests, 0),
        ),
    };
  });
}

/** Sends the request that takes the shed server's one slot and is never answered; resolves once it is admitted. */
async function hold(server: BenchServer): Promise<ClientRequest> {
  const held = request(`${server.url}${HOLD_PATH}`, { agent: false });
  held.on('error', () => {});
  held.end();
  // Admitted once a second request is shed.
  for (let attempt = 0; attempt < 100; attempt++) {
    const { status } = await get(`${server.url}${HELLO_PATH}`);
    if (status === 503) return held;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  held.destroy();
  throw new Error(`${server.variant} does not shed while ${HOLD_PATH} is held`);
}

/**
 * Admission control's cost per served request (cap never reached, event-loop guard on) against the same middleware
 * with admission off and against bare Fastify, and the cost of a shed answer against a served one. Every figure is a
 * paired run: both servers loaded over the same seconds on the server core, so the machine's drift hits both.
 */
export async function runAdmission(config: BenchConfig, log: (line: string) => void): Promise<AdmissionResult> {
  const { connections, warmupSec } = config.admission;
  const servers = new Map<Variant, BenchServer>();
  let held: ClientRequest | undefined;
  try {
    for (const variant of VARIANTS_USED) {
      const server = await startServer(variant);
      servers.set(variant, server);
      if (variant === 'warmscale-shed') held = await hold(server);
      // JIT, connection setup and the first GCs belong to the warm-up, not to the figures.
      await runLoad({ url: server.url, paths: 'hello', connections, durationSec: warmupSec });
    }
    const samples: AdmissionSample[] = [];
    for (let round = 1; round <= config.rounds; round++) {
      for (const spec of rotated([...COST_PAIRS, ...SHED_PAIRS], round)) {
        const sample = await measurePair(servers, spec, round, config);
        samples.push(sample);
        log(
          `admission round ${round} ${spec.name}: ${sample.cpuUsPerRequest.toFixed(1)} µs CPU/req beside ` +
            `${sample.baselineCpuUsPerRequest.toFixed(1)} (${(sample.cpuUsPerRequest / sample.baselineCpuUsPerRequest).toFixed(2)}x)` +
            (sample.non2xx > 0 ? `, ${sample.non2xx} of ${sample.requests} not 2xx` : ''),
        );
      }
    }
    return {
      ...config.admission,
      samples,
      cost: summarize(COST_PAIRS, samples),
      shed: summarize(SHED_PAIRS, samples),
    };
  } finally {
    held?.destroy();
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
}
