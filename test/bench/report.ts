import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findingsSection } from './findings.js';
import type { QuietPolicy } from './interference.js';
import type { Machine } from './machine.js';
import type { AdmissionResult, AdmissionSummary } from './scenarios/admission.js';
import type { Breakdown } from './scenarios/breakdown.js';
import type { CardinalityResult } from './scenarios/cardinality.js';
import type { OverheadResult } from './scenarios/overhead.js';
import type { ScrapeResult } from './scenarios/scrape.js';
import type { ShutdownResult } from './scenarios/shutdown.js';
import type { WarmupResult } from './scenarios/warmup.js';
import { VARIANTS } from './server.js';
import type { Spread } from './stats.js';
import type { TargetCheck } from './targets.js';

/** Everything one run measured; written as `benchmarks.json` beside the markdown. */
export interface BenchReport {
  /** ISO timestamp of the start of the run. */
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  readonly rounds: number;
  readonly durationSec: number;
  readonly machine: Machine;
  /** How the timing runs avoided disturbed windows; `quietCores` is the foreign load that counts as disturbed. */
  readonly quiet: QuietPolicy & { readonly quietCores: number };
  readonly targets: readonly TargetCheck[];
  readonly overhead?: OverheadResult;
  readonly scrape?: ScrapeResult;
  readonly cardinality?: CardinalityResult;
  readonly warmup?: WarmupResult;
  readonly shutdown?: ShutdownResult;
  readonly breakdown?: Breakdown;
  readonly admission?: AdmissionResult;
}

function num(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `median (min–max)` */
function range(s: Spread, digits = 0, suffix = ''): string {
  return `${num(s.median, digits)}${suffix} (${num(s.min, digits)}–${num(s.max, digits)})`;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

function machineLine(m: Machine): string {
  const kind = m.virtual ? 'VM' : 'machine';
  return `${m.cores}-core ${m.arch} ${kind} (${m.cpuModel}), ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}`;
}

function header(r: BenchReport): string {
  const m = r.machine;
  const placement = m.pinned
    ? 'Each server runs as its own process pinned to core 0 (`taskset -c 0`); the load generators (wrk for section ' +
      '1, autocannon elsewhere) run as other processes pinned to core 1, as does the harness'
    : 'Servers and load generator run as separate, unpinned processes (no `taskset` or a single core): expect more noise';
  return [
    '# Benchmarks',
    '',
    'What `@warmscale/middleware` costs on every request, on every scrape, under a cardinality attack, and what its',
    'warm-up and graceful shutdown buy, each measured side by side with the alternatives in the same run.',
    'This file is written by `npm run bench` (`test/bench/`); do not edit it by hand.',
    '',
    `- **Date:** ${r.date.slice(0, 10)} (run took ${Math.round(r.durationSec / 60)} min)`,
    `- **Command:** \`${r.command}\``,
    `- **Machine:** ${machineLine(m)}`,
    `- **Packages:** ${Object.entries(m.packages)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
    `- **Method:** ${r.rounds} round${r.rounds === 1 ? '' : 's'}; in every round each variant runs once, in an order ` +
      `that rotates from round to round, as fresh processes. ${placement}. All traffic is HTTP/1.1 keep-alive ` +
      'on 127.0.0.1. Figures are the median over runs with (min–max); every ratio is taken run by run against ' +
      'the baseline measured next to it, then the median of those ratios is reported.',
    '- **Noise:** other processes and neighbour VMs (steal time) disturb a shared machine, and its speed drifts ' +
      'within a minute. The overhead runs pair each variant with its baseline in the same seconds (section 1). Before each scrape run the ' +
      `harness waits up to ${r.quiet.waitSec} s for a quiet second, and repeats a run during which ` +
      `they used more than ${r.quiet.quietCores} core (at most ${r.quiet.attempts} runs, unless the machine never ` +
      'turned quiet; the least disturbed run is kept). ' +
      'The foreign load (CPU used by everything else, in cores) of every run is in `benchmarks.json` and in the tables.',
  ].join('\n');
}

function targetsSection(checks: readonly TargetCheck[]): string {
  if (checks.length === 0) return '';
  const rows = checks.map((c) => [c.figure, c.target, num(c.measured, 2), c.met ? 'yes' : '**no**']);
  return ['## Targets', '', table(['Figure', 'Target', 'Measured', 'Met'], rows)].join('\n');
}

function overheadSection(o: OverheadResult, config: { rounds: number }): string {
  const rows = o.summaries.map((p) => [
    `${VARIANTS[p.variant]} (\`${p.variant}\`)`,
    `\`${p.baseline}\``,
    range(p.cpuUsPerRequest, 2),
    range(p.baselineCpuUsPerRequest, 2),
    range(p.addedCpuUs, 2),
    range(p.cpuRatio, 3, 'x'),
    p.ratios.map((ratio) => num(ratio, 3)).join(', '),
    num(p.failures),
  ]);
  return [
    '## 1. Per-request overhead',
    '',
    '`GET /hello` answering `hello`: a handler that costs almost nothing, so whatever a plugin adds shows in full',
    '(a real handler costs far more, and the relative overhead shrinks accordingly). ' +
      `${config.rounds} rounds; in each, in an order that rotates from round to round, every variant and its ` +
      'baseline start as fresh processes and serve at the same time, both on the server core, each loaded by its own ' +
      `wrk (one thread, ${Math.floor(o.connections / 2)} keep-alive connections): ${o.warmupSec} s of warm-up, then ` +
      `${o.durationSec} s measured. Fresh processes every round, because one Node process can run a few percent ` +
      'faster or slower than another of the same program for its whole life (code and heap layout); the median over ' +
      'rounds draws that luck anew each time. Both figures of a round come from the same seconds of the machine, so ' +
      'whatever it does then (steal, frequency, neighbours) it does to both. Server CPU time (user + system) comes ' +
      'from `/proc/<pid>/stat` over the measured run and is divided by the responses served. wrk reconnects when a ' +
      'response says `Connection: close`, as real clients do, so connection recycling is measured as clients see it. ' +
      'Throughput is not compared (the two share one core). Failures (non-2xx responses and socket errors) must be 0; ' +
      'the first row pairs two bare servers, the resolution of the method.',
    '',
    table(
      [
        'Variant',
        'Baseline',
        'CPU µs/req',
        'Baseline CPU µs/req',
        'Added CPU µs/req',
        'CPU / baseline',
        'Per round',
        'Failures',
      ],
      rows,
    ),
  ].join('\n');
}

function scrapeSection(s: ScrapeResult): string {
  const rows = s.summaries.map((x) => [
    `${x.description} (\`${x.variant}\`)`,
    x.format,
    range(x.medianMs, 2),
    range(x.p99Ms, 2),
    range(x.cpuMs, 2),
    num(x.bodyBytes / 1024, 1),
    num(x.series),
    num(x.exemplars),
    range(x.ratioToFastifyMetrics, 2),
    range(x.foreignCores, 2),
  ]);
  return [
    '## 2. Scrape cost',
    '',
    `Traffic over ${s.labelSets / 5} routes x 5 statuses (${s.labelSets} label sets, ${s.requestsPerLabelSet} requests ` +
      `each), then ${s.scrapes} sequential \`GET /metrics\` over one keep-alive connection, after a few unmeasured ` +
      "ones. Time is client-side, from request to last byte; CPU is the server's, per scrape.",
    '',
    table(
      [
        'Server',
        'Format',
        'Median ms',
        'p99 ms',
        'Server CPU ms/scrape',
        'Body KiB',
        'Series',
        'Exemplars',
        'Median / fastify-metrics',
        'Foreign load (cores)',
      ],
      rows,
    ),
  ].join('\n');
}

function cardinalitySection(c: CardinalityResult): string {
  const rows = c.summaries.map((x) => [
    `${x.description} (\`${x.variant}\`)`,
    `${num(x.seriesBefore)} → ${num(x.seriesAfter)}`,
    `${num(x.routesBefore)} → ${num(x.routesAfter)}${x.bounded ? '' : ' (**unbounded**)'}`,
    range(x.rssGrowthAttackMB, 1),
    range(x.rssGrowthControlMB, 1),
    range(x.rssGrowthOverControlMB, 1),
    range(x.scrapeMedianAfterAttackMs, 2),
    num(x.bodyBytesAfterAttack / 1024, 1),
  ]);
  return [
    '## 3. Cardinality attack',
    '',
    `${num(c.requests)} requests to distinct random unknown paths (\`/scan-<n>-<random>/<n>\`, 20 connections), after`,
    'a warm-up on a known route; the control run sends as many requests to `/hello` instead. Series are the sample',
    'lines of the text exposition; route values are the distinct `route` label values in it.',
    '',
    table(
      [
        'Server',
        'Series before → after',
        'Route values before → after',
        'RSS growth MB, attack',
        'RSS growth MB, control',
        'Attack − control MB',
        'Scrape median after, ms',
        'Body after, KiB',
      ],
      rows,
    ),
  ].join('\n');
}

function warmupSection(w: WarmupResult): string {
  const rows = w.summaries.map((x) => [
    x.mode,
    range(x.readyAfterMs),
    range(x.firstRequestMs, 1),
    range(x.medianMs, 1),
    range(x.p99Ms, 1),
    String(x.failed),
  ]);
  return [
    '## 4. Warm-up',
    '',
    `The demo's cold route \`${w.route}\` (its first call builds a catalog index). The process starts, the harness`,
    'waits for `/startupz` and then `/readyz` to answer 200, and at once sends the first ' +
      `${w.requests} requests in a burst of ${w.concurrency} concurrent connections, as a load balancer does to a pod`,
    "that just turned ready. Warm-up on runs the demo's warm-up steps before readiness; off turns ready at listen.",
    '',
    table(['Warm-up', 'Start → ready ms', 'First request ms', 'Median ms', 'p99 ms', 'Failed'], rows),
    '',
    `Off / on, per round: median ${range(w.offOverOn.medianMs, 1, 'x')}, p99 ${range(w.offOverOn.p99Ms, 1, 'x')}.`,
  ].join('\n');
}

function shutdownSection(s: ShutdownResult): string {
  const rows = s.summaries.map((x) => [
    `${x.mode} (${num(x.delayMs)} ms)`,
    range(x.sent),
    range(x.failed),
    Object.keys(x.failures).length === 0
      ? '–'
      : Object.entries(x.failures)
          .map(([cause, n]) => `${cause} ${n}`)
          .join(', '),
    x.notReadyAfterMs === undefined ? '–' : range(x.notReadyAfterMs),
    range(x.exitedAfterMs),
    x.exitCodes.join(', '),
  ]);
  return [
    '## 5. Graceful shutdown',
    '',
    `Keep-alive load at a steady ${num(s.requestsPerSec)} req/s to the demo's \`/hello\`; then SIGTERM. The harness`,
    `plays the load balancer: it keeps routing new requests to the pod for ${num(s.propagationMs)} ms after the`,
    'signal, as endpoint removal takes time to reach kube-proxy and ingresses, then stops. A failed request got no',
    'response (refused, reset) or a 5xx. Delay on keeps serving (readiness 503, `Connection: close`) for',
    '`WARMSCALE_SHUTDOWN_DELAY_MS` before closing; off closes at once.',
    '',
    table(
      [
        'Shutdown delay',
        'Requests sent',
        'Failed',
        'Failures by cause (all rounds)',
        'SIGTERM → not ready ms',
        'SIGTERM → exit ms',
        'Exit codes',
      ],
      rows,
    ),
  ].join('\n');
}

function breakdownSection(b: Breakdown): string {
  return [
    '## 6. Where the cost goes',
    '',
    "Each part of the middleware's defaults timed on its own, in one process on the server core after the same",
    `traffic as the scrape scenario: the request-path operations as the best of ${b.loopRepeats} loops of ` +
      `${num(b.loopCalls)} calls, and the serialization of each group of metrics as the median server CPU of ` +
      `${b.scrapes} scrapes. The overhead scenario's`,
    '"added CPU" is the sum of the request-path operations plus what Fastify charges per hook.',
    '',
    table(
      ['Request-path operation', 'ns per call'],
      b.operations.map((op) => [op.name, num(op.ns)]),
    ),
    '',
    table(
      ['Serialized on each scrape', 'Series', 'Server CPU ms'],
      b.serialization.map((s) => [s.name, num(s.series), num(s.cpuMs, 2)]),
    ),
  ].join('\n');
}

function admissionRows(summaries: readonly AdmissionSummary[]): string[][] {
  const side = (x: AdmissionSummary['measured']) => `\`${x.variant}\`${x.close ? ', new connection per request' : ''}`;
  return summaries.map((x) => [
    x.pair,
    side(x.measured),
    side(x.baseline),
    range(x.cpuUsPerRequest, 1),
    range(x.baselineCpuUsPerRequest, 1),
    range(x.cpuRatio, 2, 'x'),
    range(x.addedCpuUs, 1),
    `${num(x.non2xxShare * 100, 1)}%`,
  ]);
}

function admissionSection(a: AdmissionResult, measuredApart: string | undefined): string {
  const headers = [
    'Pair',
    'Measured',
    'Baseline',
    'Measured CPU µs/req',
    'Baseline CPU µs/req',
    'Measured / baseline',
    'Difference µs/req',
    'Measured non-2xx',
  ];
  return [
    '## 7. Admission control',
    '',
    ...(measuredApart === undefined ? [] : [measuredApart, '']),
    `\`GET /hello\` as in section 1, in paired runs only: two servers on the server core, loaded over the same ` +
      `${a.durationSec} s (after an unmeasured ${a.primeSec} s) by two autocannon processes with ${Math.floor(a.connections / 2)} ` +
      'keep-alive connections each; every round runs every pair once, in an order that rotates. ' +
      '`warmscale-admission` runs admission control on every request (counted in flight, checked against a cap of ' +
      "1,000,000 that is never reached and against the event-loop guard's flag, which its 100 ms sampler sets); " +
      '`warmscale-no-admission` has no cap and no guard (no delay monitor, no sampler) and still counts requests in ' +
      'flight for `warmscale_requests_in_flight`.',
    '',
    table(headers, admissionRows(a.cost)),
    '',
    '`warmscale-shed` caps requests in flight at 1 and holds that one (`GET /hold`, never answered), so every other ' +
      'request is shed: 503 with `Retry-After`, `Connection: close` and a JSON reason, answered on the Node server ' +
      'before Fastify routes it, and counted. Each shed answer closes its connection and the load generator ' +
      "reconnects, as real clients do, so a shed answer's CPU includes accepting and closing a connection: it is " +
      'measured beside served requests on keep-alive connections, and beside served requests that each open a new ' +
      'connection (`Connection: close`).',
    '',
    table(headers, admissionRows(a.shed)),
  ].join('\n');
}

/** Each scenario's section, by scenario; absent scenarios give none. */
function scenarioSections(r: BenchReport, measuredApart?: string): Array<[string, string]> {
  const sections: Array<[string, string | undefined]> = [
    ['overhead', r.overhead === undefined ? undefined : overheadSection(r.overhead, r)],
    ['scrape', r.scrape === undefined ? undefined : scrapeSection(r.scrape)],
    ['cardinality', r.cardinality === undefined ? undefined : cardinalitySection(r.cardinality)],
    ['warmup', r.warmup === undefined ? undefined : warmupSection(r.warmup)],
    ['shutdown', r.shutdown === undefined ? undefined : shutdownSection(r.shutdown)],
    ['breakdown', r.breakdown === undefined ? undefined : breakdownSection(r.breakdown)],
    ['admission', r.admission === undefined ? undefined : admissionSection(r.admission, measuredApart)],
  ];
  return sections.filter((entry): entry is [string, string] => entry[1] !== undefined);
}

/** A section between markers that {@link spliceSections} finds again. */
function marked(scenario: string, text: string): string {
  return `<!-- bench:${scenario}:begin -->\n${text}\n<!-- bench:${scenario}:end -->`;
}

export function renderMarkdown(r: BenchReport): string {
  const sections = [
    header(r),
    targetsSection(r.targets),
    findingsSection(r),
    ...scenarioSections(r).map(([scenario, text]) => marked(scenario, text)),
  ];
  return `${sections.filter((s) => s !== '').join('\n\n')}\n`;
}

/**
 * `markdown` (a report of a full run) with the sections of the partial run `r` in place of its own (appended when it
 * has none), each saying when, by which command and on which machine it was measured.
 */
export function spliceSections(markdown: string, r: BenchReport): string {
  const apart =
    `_Measured apart from the rest of this file: ${r.date.slice(0, 10)}, \`${r.command}\`, ${r.rounds} ` +
    `round${r.rounds === 1 ? '' : 's'}, ${machineLine(r.machine)}._`;
  let text = markdown.trimEnd();
  for (const [scenario, section] of scenarioSections(r, apart)) {
    const begin = `<!-- bench:${scenario}:begin -->`;
    const end = `<!-- bench:${scenario}:end -->`;
    const from = text.indexOf(begin);
    const to = text.indexOf(end);
    text =
      from >= 0 && to > from
        ? `${text.slice(0, from)}${marked(scenario, section)}${text.slice(to + end.length)}`
        : `${text}\n\n${marked(scenario, section)}`;
  }
  return `${text}\n`;
}

/** Writes `benchmarks.md` and `benchmarks.json` into `dir`; returns the markdown's path. */
export function writeReport(dir: string, report: BenchReport): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'benchmarks.json'), `${JSON.stringify(report, null, 2)}\n`);
  const path = join(dir, 'benchmarks.md');
  writeFileSync(path, renderMarkdown(report));
  return path;
}

/** Replaces the sections of the partial run `report` in `dir/benchmarks.md`; returns its path. */
export function writeSections(dir: string, report: BenchReport): string {
  const path = join(dir, 'benchmarks.md');
  writeFileSync(path, spliceSections(readFileSync(path, 'utf8'), report));
  return path;
}
