import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LabOptions } from './lab.js';
import { stepProfile } from './profile.js';

export const USAGE = `usage: npm run lab -- [options]

Rehearses QPS autoscaling on this machine with the chart's values: replicas of the demo, a real Prometheus, a
kube-proxy-like balancer, the HPA algorithm every sync period, and a load profile (idle, step up, plateau, step down).

Traps (each turns one safeguard off in the chart values):
  --no-warmup          warmup.enabled=false: new pods take traffic cold
  --no-drain           no preStop sleep and shutdown.delaySeconds=0: pods close while endpoints still route to them
  --no-recycle         connection recycling off: keep-alive connections never leave the first pod

Load and timing:
  --duration SECONDS   length of the load profile (default 180)
  --idle SECONDS       idle phase before the step up (default 20)
  --plateau SECONDS    peak phase (default 80); the low phase fills the rest
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
  --name NAME          run name (default: default, or the traps, e.g. no-drain)

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
  const safeguards = { warmup: !values['no-warmup'], drain: !values['no-drain'], recycle: !values['no-recycle'] };
  const traps = (['warmup', 'drain', 'recycle'] as const)
    .filter((name) => !safeguards[name])
    .map((name) => `no-${name}`);
  const name = values.name ?? (traps.length === 0 ? 'default' : traps.join('-'));
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) throw new Error(`--name must be a file name (got ${name})`);
  return {
    name,
    command: `npm run lab${argv.length === 0 ? '' : ` -- ${argv.join(' ')}`}`,
    safeguards,
    profile: stepProfile({
      idleSeconds: idle,
      plateauSeconds: plateau,
      tailSeconds: duration - idle - plateau,
      idleRps: number(values['idle-rps'], 5, 'idle-rps', 0),
      peakRps: number(values.peak, 75, 'peak', 1),
      lowRps: number(values.low, 15, 'low', 0),
    }),
    valuesFiles: (values.values ?? []).map((file) => resolve(file)),
    connections: number(values.connections, 16, 'connections', 1),
    freshConnectionShare: share(values['fresh-share']),
    propagationLagSeconds: number(values.lag, 2, 'lag', 0),
    syncPeriodSeconds: number(values['sync-period'], 15, 'sync-period', 1),
    outDir,
  };
}
