// `npm run bench [-- --quick] [--rounds N] [--only a,b] [--out DIR]`: every scenario, then the report.
import { fileURLToPath } from 'node:url';
import { readConfig, SCENARIOS } from './config.js';
import { QUIET_CORES } from './interference.js';
import { describeMachine } from './machine.js';
import { LOAD_CORE, pin } from './processes.js';
import { type BenchReport, writeReport, writeSections } from './report.js';
import { runAdmission } from './scenarios/admission.js';
import { runBreakdown } from './scenarios/breakdown.js';
import { runCardinality } from './scenarios/cardinality.js';
import { runOverhead } from './scenarios/overhead.js';
import { runScrape } from './scenarios/scrape.js';
import { runShutdown } from './scenarios/shutdown.js';
import { runWarmup } from './scenarios/warmup.js';
import { checkTargets } from './targets.js';

// Exit through process.exit on a signal, so the exit handlers kill every server and load process by PID.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));
/** Quick and partial runs go to the build output, so they never overwrite the full run the docs hold. */
const SCRATCH = fileURLToPath(new URL('./results/', import.meta.url));

const config = readConfig(process.argv.slice(2));
const startedAt = new Date();
const log = (line: string): void => console.log(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)}s] ${line}`);
// The harness is the client of the scrape, warm-up and shutdown scenarios: it belongs with the load, off the server core.
pin(process.pid, LOAD_CORE);

const has = (name: (typeof SCENARIOS)[number]) => config.scenarios.includes(name);
if (has('overhead')) {
  // wrk is Debian's: installed when running as root, else the error says the command to run.
  const tools = (await import(new URL('../../../scripts/tools.mjs', import.meta.url).href)) as { ensureWrk(): string };
  tools.ensureWrk();
}
const overhead = has('overhead') ? await runOverhead(config, log) : undefined;
const scrape = has('scrape') ? await runScrape(config, log) : undefined;
const cardinality = has('cardinality') ? await runCardinality(config, log) : undefined;
const warmup = has('warmup') ? await runWarmup(config, log) : undefined;
const shutdown = has('shutdown') ? await runShutdown(config, log) : undefined;
const breakdown = has('breakdown') ? await runBreakdown(config, log) : undefined;
const admission = has('admission') ? await runAdmission(config, log) : undefined;

const report: BenchReport = {
  date: startedAt.toISOString(),
  command: `npm run bench${config.argv.length === 0 ? '' : ` -- ${config.argv.join(' ')}`}`,
  quick: config.quick,
  rounds: config.rounds,
  durationSec: (Date.now() - startedAt.getTime()) / 1000,
  machine: describeMachine(),
  quiet: { ...config.quiet, quietCores: QUIET_CORES },
  targets: checkTargets({ overhead, scrape, cardinality }),
  overhead,
  scrape,
  cardinality,
  warmup,
  shutdown,
  breakdown,
  admission,
};
const complete = !config.quick && config.scenarios.length === SCENARIOS.length;
const path = writeReport(config.outDir ?? (complete ? DOCS : SCRATCH), report);
for (const check of report.targets) {
  log(`${check.met ? 'met' : 'MISSED'}: ${check.figure} = ${check.measured.toFixed(2)} (target ${check.target})`);
}
log(`report written to ${path}`);
if (config.docsSections && !complete) {
  if (config.quick) throw new Error('--docs-sections takes figures from full-length runs only (no --quick)');
  log(`sections ${config.scenarios.join(', ')} written into ${writeSections(DOCS, report)}`);
}
