import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LabOptions } from './lab.js';
import { spikeProfile, stepProfile } from './profile.js';
import { SAFEGUARD_NAMES, SPIKE_VALUES } from './settings.js';

export const USAGE = `usage: npm run lab -- [options]

Rehearses QPS autoscaling on this machine with the chart's values: replicas of the demo, a real Prometheus, a
kube-proxy-like balancer, a kubelet (probes, restarts with back-off), the HPA algorithm every sync period, and a load
profile (idle, step up, plateau, step down).

Traps (each turns one safeguard off in the chart values):
  --no-warmup          warmup.enabled=false: new pods take traffic cold
  --no-drain           no preStop sleep and shutdown.delaySeconds=0: pods close while endpoints still route to them
  --no-recycle         connection recycling off: keep-alive connections never leave the first pod
  --no-admission       admission.maxInFlight=0 and admission.maxEventLoopDelayMs=0: nothing is shed

Spike:
  --spike              instead of the step up, a spike of closed-loop clients onto a CPU-costly route, each sending
                       its next request when the last one returns and retrying a shed one after its Retry-After;
                       adds test/lab/spike-values.yaml (admission.maxInFlight for that route)
  --clients N          closed-loop clients of the spike (default 50)
  --work-ms MS         CPU each request of the spike costs, /work?ms=MS (default 20)

Load and timing:
  --duration SECONDS   length of the load profile (default 180)
  --idle SECONDS       idle phase before the step up (default 20)
  --plateau SECONDS    peak phase, or the spike (default 80); the low phase fills the rest
  --peak RPS           request rate at the peak (default 75)
  --low RPS            request rate after the step down (default 15)
  --idle-rps RPS       request rate while idle (default 5)
  --connections N      keep-alive clients, one connection each (default 16)
  --fresh-share X      share of requests sent on a new connection each, 0 to 1 (default 0.2)
  --lag SECONDS        endpoint propagation lag (default 2)
  --sync-period S      HPA sync period (default 15)
  --values FILE        extra chart values file after the lab profile (repeatable)

Output:
  --out DIR            where <name>.html, <name>.svg and <name>.json go (default .lab/)
  --name NAME          run name (default: default, or the traps, e.g. no-drain; spike runs start with spike)

  npm run lab -- --compare RUN.json... [--out DIR]
                       draws runs side by side from their JSON timelines into DIR/comparison.svg
`;

/** The repository root (this file compiles to `test/dist/lab/options.js`). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface RunOptions extends LabOptions {
  readonly outDir: string;
}

/** `--compare`: the timelines to draw side by side and where the picture goes. */
export interface CompareOptions {
  readonly compare: readonly string[];
  readonly outDir: string;
}

function number(value: string | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min)
    throw new Error(`--${name} must be a number >= ${min} (got ${value})\n${USAGE}`);
  return parsed;
}

function integer(value: string | undefined, fallback: number, name: string): number {
  const parsed = number(value, fallback, name, 1);
  if (!Number.isInteger(parsed)) throw new Error(`--${name} must be an integer >= 1 (got ${value})\n${USAGE}`);
  return parsed;
}

function share(value: string | undefined): number {
  const parsed = number(value, 0.2, 'fresh-share', 0);
  if (parsed > 1) throw new Error(`--fresh-share must be from 0 to 1 (got ${value})\n${USAGE}`);
  return parsed;
}

/** Reads the command line of `npm run lab`. */
export function readRunOptions(argv: readonly string[]): RunOptions | CompareOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      'no-warmup': { type: 'boolean', default: false },
      'no-drain': { type: 'boolean', default: false },
      'no-recycle': { type: 'boolean', default: false },
      'no-admission': { type: 'boolean', default: false },
      spike: { type: 'boolean', default: false },
      clients: { type: 'string' },
      'work-ms': { type: 'string' },
      duration: { type: 'string' },
      idle: { type: 'string' },
      plateau: { type: 'string' },
      peak: { type: 'string' },
      low: { type: 'string' },
      'idle-rps': { type: 'string' },
      connections: { type: 'string' },
      'fresh-share': { type: 'string' },
      lag: { type: 'string' },
      'sync-period': { type: 'string' },
      values: { type: 'string', multiple: true },
      out: { type: 'string' },
      name: { type: 'string' },
      compare: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return 'help';
  const outDir = resolve(values.out ?? resolve(ROOT, '.lab'));
  if (values.compare) {
    if (positionals.length === 0) throw new Error(`--compare needs the JSON timelines of the runs\n${USAGE}`);
    return { compare: positionals.map((file) => resolve(file)), outDir };
  }
  if (positionals.length > 0) throw new Error(`unexpected argument ${positionals[0]}\n${USAGE}`);
  const duration = number(values.duration, 180, 'duration', 30);
  const idle = number(values.idle, 20, 'idle', 0);
  const plateau = number(values.plateau, 80, 'plateau', 1);
  if (idle + plateau >= duration) {
    throw new Error(`--idle + --plateau must be shorter than --duration (got ${idle} + ${plateau} >= ${duration})`);
  }
  const safeguards = {
    warmup: !values['no-warmup'],
    drain: !values['no-drain'],
    recycle: !values['no-recycle'],
    admission: !values['no-admission'],
  };
  const traps = SAFEGUARD_NAMES.filter((name) => !safeguards[name]).map((name) => `no-${name}`);
  const spike = values.spike === true;
  if (!spike) {
    for (const option of ['clients', 'work-ms'] as const) {
      if (values[option] !== undefined) throw new Error(`--${option} needs --spike\n${USAGE}`);
    }
  }
  const runName = [...(spike ? ['spike'] : []), ...traps].join('-') || 'default';
  const name = values.name ?? runName;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) throw new Error(`--name must be a file name (got ${name})`);
  const shape = {
    idleSeconds: idle,
    tailSeconds: duration - idle - plateau,
    idleRps: number(values['idle-rps'], 5, 'idle-rps', 0),
    lowRps: number(values.low, 15, 'low', 0),
  };
  if (spike && values.peak !== undefined) throw new Error(`--peak is for the step profile; the spike has --clients`);
  const workMs = number(values['work-ms'], 20, 'work-ms', 1);
  if (!Number.isInteger(workMs) || workMs > 1000) throw new Error(`--work-ms must be an integer from 1 to 1000`);
  return {
    name,
    command: `npm run lab${argv.length === 0 ? '' : ` -- ${argv.join(' ')}`}`,
    safeguards,
    profile: spike
      ? spikeProfile({ ...shape, spikeSeconds: plateau, clients: integer(values.clients, 50, 'clients') })
      : stepProfile({ ...shape, plateauSeconds: plateau, peakRps: number(values.peak, 75, 'peak', 1) }),
    ...(spike ? { requestPath: `/work?ms=${workMs}` } : {}),
    valuesFiles: [...(spike ? [SPIKE_VALUES] : []), ...(values.values ?? []).map((file) => resolve(file))],
    connections: number(values.connections, 16, 'connections', 1),
    freshConnectionShare: share(values['fresh-share']),
    propagationLagSeconds: number(values.lag, 2, 'lag', 0),
    syncPeriodSeconds: number(values['sync-period'], 15, 'sync-period', 1),
    outDir,
  };
}
