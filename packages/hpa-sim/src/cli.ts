#!/usr/bin/env node
// warmscale-sim: what will this HPA do with this traffic? Prints the summary and a compact timeline, writes an SVG.
// Any input error prints one line to stderr and exits 2.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatLint, LintInputError, lintManifests } from './lint.js';
import { ManifestError, parseHpa } from './manifest.js';
import { parseQuantity, QuantityError } from './quantity.js';
import { formatReport } from './report.js';
import { type ResourceModel, SimulationError, type SimulationOptionsInput, simulate } from './simulate.js';
import { renderSvg } from './svg.js';
import { PROFILES, type ProfileName, parseTrace, profileTrace, TraceError, type TracePoint } from './traces.js';

const USAGE = `usage: warmscale-sim --hpa <file|-> (--trace <file> | --profile step|ramp|spike|diurnal) [options]
       warmscale-sim lint <file|->... [lint options]   (warmscale-sim lint --help)

  --hpa <file|->            HPA manifest, or helm template output ("-" reads stdin)
  --hpa-name <name>         which HPA, when the YAML holds several
  --trace <file>            CSV "time,qps" lines or JSON [{"time":0,"qps":50}, ...]
  --profile <name>          step | ramp | spike | diurnal, shaped by:
    --base <qps>            traffic before the change (default 50)
    --peak <qps>            traffic after the change (default 500)
    --at <duration>         when the change starts (default 60s)
    --duration <duration>   ramp length or spike length (default 5m)
    --period <duration>     diurnal cycle (default 24h)
    --length <duration>     trace length (default at + duration + 15m; diurnal: one period)
  --scrape-interval <d>     Prometheus scrape interval (default 15s)
  --rate-window <d>         rate() window of the adapter rule (default 1m)
  --sync-period <d>         HPA sync period (default 15s)
  --startup <d>             pod creation to running container (default 10s)
  --warmup <d>              running container to Ready (default 30s)
  --capacity <qps>          QPS one pod serves (default 2 x the Pods target)
  --initial-replicas <n>    replicas at time 0 (default: what the initial traffic needs)
  --<cpu|memory>-request <q>, --<cpu|memory>-idle <q>, --<cpu|memory>-per-qps <q>
                            usage model for a Resource metric, as quantities
  --tolerance <ratio>       controller tolerance (default 0.1)
  --downscale-stabilization <d>  controller default scale-down window (default 5m)
  --svg <file>              write the chart
  --every <d>               table row interval (default 1m)
Durations: 90, 90s, 15m, 1h30m.`;

const LINT_USAGE = `usage: warmscale-sim lint <file|->... [options]

Checks Kubernetes manifests (helm template output or your own YAML; "-" reads stdin) across layers: rate() window
vs scrape interval, adapter relist interval, grace period vs preStop + the app's shutdown timeout, startupProbe
budget vs boot + warm-up, scale-up policies vs the time a new pod needs, HPA metric name vs the adapter rule, double
scraping, Utilization without requests, KEDA ignoreNullValues and fallback. Errors exit 1, warnings exit 0.

  --adapter-config <file>   prometheus-adapter config.yaml, its chart values (rules.custom) or its ConfigMap
  --scrape-interval <d>     scrape interval where no ServiceMonitor in the input sets one
  --relist-interval <d>     the adapter's --metrics-relist-interval (overrides the input)
  --boot-time <d>           container start to the start of warm-up (default 10s)
  --json                    print the findings as JSON
Durations: 90, 90s, 15m, 1h30m.`;

const LINT_OPTIONS = {
  'adapter-config': { type: 'string' },
  'scrape-interval': { type: 'string' },
  'relist-interval': { type: 'string' },
  'boot-time': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A usage error: bad flag or value. */
class CliError extends Error {
  override readonly name = 'CliError';
}

const OPTIONS = {
  hpa: { type: 'string' },
  'hpa-name': { type: 'string' },
  trace: { type: 'string' },
  profile: { type: 'string' },
  base: { type: 'string' },
  peak: { type: 'string' },
  at: { type: 'string' },
  duration: { type: 'string' },
  period: { type: 'string' },
  length: { type: 'string' },
  'scrape-interval': { type: 'string' },
  'rate-window': { type: 'string' },
  'sync-period': { type: 'string' },
  startup: { type: 'string' },
  warmup: { type: 'string' },
  capacity: { type: 'string' },
  'initial-replicas': { type: 'string' },
  'cpu-request': { type: 'string' },
  'cpu-idle': { type: 'string' },
  'cpu-per-qps': { type: 'string' },
  'memory-request': { type: 'string' },
  'memory-idle': { type: 'string' },
  'memory-per-qps': { type: 'string' },
  tolerance: { type: 'string' },
  'downscale-stabilization': { type: 'string' },
  svg: { type: 'string' },
  every: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = Partial<Record<Exclude<keyof typeof OPTIONS, 'help'>, string>> & { help?: boolean };

/** Seconds from `90`, `90s`, `15m` or `1h30m` (Prometheus-style units). */
function duration(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (match === null || text === '')
    throw new CliError(`--${flag} must be a duration such as 90, 90s, 15m or 1h30m (got "${text}")`);
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

function number(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new CliError(`--${flag} must be a number (got "${text}")`);
  return value;
}

function readInput(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path === '-' ? 'stdin' : path}: ${(error as Error).message}`);
  }
}

function writeOutput(path: string, content: string): void {
  try {
    writeFileSync(path, content);
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

function resourceModel(flags: Flags, resource: 'cpu' | 'memory'): ResourceModel | undefined {
  const request = flags[`${resource}-request`];
  if (request === undefined) return undefined;
  const milli = (flag: string, text: string | undefined) => {
    if (text === undefined) return 0;
    try {
      return parseQuantity(text).milliValue;
    } catch (error) {
      if (error instanceof QuantityError) throw new CliError(`--${flag}: ${error.message}`);
      throw error;
    }
  };
  return {
    requestMilli: milli(`${resource}-request`, request),
    idleMilli: milli(`${resource}-idle`, flags[`${resource}-idle`]),
    perQpsMilli: milli(`${resource}-per-qps`, flags[`${resource}-per-qps`]),
  };
}

function traceOf(flags: Flags): TracePoint[] {
  if ((flags.trace === undefined) === (flags.profile === undefined)) {
    throw new CliError('give exactly one of --trace <file> and --profile <name>');
  }
  if (flags.trace !== undefined) return parseTrace(readInput(flags.trace));
  const profile = flags.profile as ProfileName;
  if (!PROFILES.includes(profile)) {
    throw new CliError(`--profile must be one of ${PROFILES.join(', ')} (got "${flags.profile}")`);
  }
  const optional = <T>(value: T | undefined, key: string) => (value === undefined ? {} : { [key]: value });
  return profileTrace({
    profile,
    ...optional(number('base', flags.base), 'base'),
    ...optional(number('peak', flags.peak), 'peak'),
    ...optional(duration('at', flags.at), 'at'),
    ...optional(duration('duration', flags.duration), 'duration'),
    ...optional(duration('period', flags.period), 'period'),
    ...optional(duration('length', flags.length), 'length'),
  });
}

function simulationOptions(flags: Flags): SimulationOptionsInput {
  const options: { -readonly [K in keyof SimulationOptionsInput]: SimulationOptionsInput[K] } = {};
  const set = <K extends keyof SimulationOptionsInput>(key: K, value: SimulationOptionsInput[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set('scrapeIntervalSeconds', duration('scrape-interval', flags['scrape-interval']));
  set('rateWindowSeconds', duration('rate-window', flags['rate-window']));
  set('syncPeriodSeconds', duration('sync-period', flags['sync-period']));
  set('podStartupSeconds', duration('startup', flags.startup));
  set('warmupSeconds', duration('warmup', flags.warmup));
  set('capacityQps', number('capacity', flags.capacity));
  set('initialReplicas', number('initial-replicas', flags['initial-replicas']));
  const resources: Record<string, ResourceModel> = {};
  for (const resource of ['cpu', 'memory'] as const) {
    const model = resourceModel(flags, resource);
    if (model !== undefined) resources[resource] = model;
  }
  options.resources = resources;
  const tolerance = number('tolerance', flags.tolerance);
  const downscale = duration('downscale-stabilization', flags['downscale-stabilization']);
  options.controller = {
    ...(tolerance === undefined ? {} : { tolerance }),
    ...(downscale === undefined ? {} : { downscaleStabilizationWindowSeconds: downscale }),
  };
  return options;
}

/** Runs the CLI; returns the exit code. */
function run(argv: readonly string[]): number {
  let flags: Flags;
  try {
    flags = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    process.stderr.write(`warmscale-sim: ${(error as Error).message} (see warmscale-sim --help)\n`);
    return 2;
  }
  if (flags.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    if (flags.hpa === undefined) throw new CliError('--hpa <file|-> is required');
    const spec = parseHpa(readInput(flags.hpa), flags['hpa-name']);
    const result = simulate(spec, traceOf(flags), simulationOptions(flags));
    process.stdout.write(`${formatReport(result, duration('every', flags.every) ?? 60)}\n`);
    if (flags.svg !== undefined) {
      writeOutput(flags.svg, renderSvg(result));
      process.stdout.write(`wrote ${flags.svg}\n`);
    }
    return 0;
  } catch (error) {
    const known = [CliError, ManifestError, TraceError, SimulationError, QuantityError];
    if (!known.some((kind) => error instanceof kind)) throw error;
    process.stderr.write(`warmscale-sim: ${(error as Error).message}\n`);
    return 2;
  }
}

/** `warmscale-sim lint`: returns 1 when there are errors, 0 otherwise, 2 on bad input. */
function runLint(argv: readonly string[]): number {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof LINT_OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: LINT_OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`warmscale-sim lint: ${(error as Error).message} (see warmscale-sim lint --help)\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(`${LINT_USAGE}\n`);
    return 0;
  }
  try {
    if (positionals.length === 0) throw new CliError('give manifest files, or - to read stdin');
    const optional = <T>(value: T | undefined, key: string) => (value === undefined ? {} : { [key]: value });
    const result = lintManifests({
      manifests: positionals.map(readInput),
      ...optional(
        values['adapter-config'] === undefined ? undefined : readInput(values['adapter-config']),
        'adapterConfig',
      ),
      ...optional(duration('scrape-interval', values['scrape-interval']), 'scrapeIntervalSeconds'),
      ...optional(duration('relist-interval', values['relist-interval']), 'relistIntervalSeconds'),
      ...optional(duration('boot-time', values['boot-time']), 'bootSeconds'),
    });
    process.stdout.write(`${values.json === true ? JSON.stringify(result, null, 2) : formatLint(result)}\n`);
    return result.errors > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof CliError || error instanceof LintInputError)) throw error;
    process.stderr.write(`warmscale-sim lint: ${error.message}\n`);
    return 2;
  }
}

const args = process.argv.slice(2);
process.exitCode = args[0] === 'lint' ? runLint(args.slice(1)) : run(args);
