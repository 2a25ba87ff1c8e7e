// `npm run lab [-- --no-warmup|--no-drain|--no-recycle] [--out DIR] ...`: one rehearsal, a live line per HPA sync,
// then the report.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { shortPodName } from './charts.js';
import { runLab } from './lab.js';
import { readRunOptions, USAGE } from './options.js';
import { runDescription, shedTotal, writeComparison, writeReport } from './report.js';
import { ALL_SAFEGUARDS } from './settings.js';
import { FIRST_TRAFFIC_SECONDS, readTimeline, type Timeline } from './timeline.js';

// Exit through process.exit on a signal, so the exit hooks kill the replicas, Prometheus and the load generator.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

let options: ReturnType<typeof readRunOptions>;
try {
  options = readRunOptions(process.argv.slice(2));
} catch (error) {
  console.error(`${(error as Error).message}\n(npm run lab -- --help lists the options)`);
  process.exit(2);
}
if (options === 'help') {
  console.log(USAGE);
  process.exit(0);
}
if ('compare' in options) {
  const timelines = options.compare.map((file) => readTimeline(readFileSync(file, 'utf8')));
  console.log(`comparison: ${relative(process.cwd(), writeComparison(options.outDir, timelines))}`);
  process.exit(0);
}

const seconds = options.profile.reduce((total, phase) => total + phase.seconds, 0);
console.log(`warmscale lab: ${options.name} run (${runDescription(options.safeguards ?? ALL_SAFEGUARDS)})`);
console.log(
  `load: ${options.profile
    .map(
      (phase) =>
        `${phase.name} ${phase.clients === undefined ? `${phase.rps} req/s` : `${phase.clients} clients`} for ${phase.seconds}s`,
    )
    .join(', ')} (${seconds}s)${options.requestPath === undefined ? '' : ` on ${options.requestPath}`}`,
);
let timeline: Timeline;
try {
  timeline = await runLab({ ...options, log: (line) => console.log(line) });
} catch (error) {
  // Everything the run started is stopped by now; the message says what failed (e.g. how to install Prometheus).
  console.error(`lab run failed: ${(error as Error).message}`);
  process.exit(1);
}
const paths = writeReport(options.outDir, timeline);
const { summary } = timeline;
console.log('');
console.log(
  `requests: ${summary.requests}, failed: ${summary.failed}${summary.failed === 0 ? '' : ` ${JSON.stringify(summary.failures)}`}`,
);
console.log(
  `shed: ${shedTotal(summary)} ${JSON.stringify(summary.shed)}, ${summary.shedRetried} retried; container restarts: ${summary.restarts} (${summary.livenessRestarts} after a failed liveness probe)`,
);
console.log(
  `scale events: ${summary.scaleEvents.map((event) => `${event.from} -> ${event.to} at ${event.t.toFixed(0)}s`).join(', ') || 'none'}`,
);
console.log(
  `latency p99 of admitted requests: ${summary.p99Ms.toFixed(1)} ms (worst second ${summary.worstSecondP99Ms.toFixed(0)} ms), ${summary.slowRequests} requests took 1 s or more`,
);
console.log(
  `each replica's first ${FIRST_TRAFFIC_SECONDS} s of traffic: p99 ${summary.firstTraffic.p99Ms.toFixed(0)} ms, slowest ${summary.firstTraffic.maxMs.toFixed(0)} ms`,
);
console.log(
  `per-replica QPS, second half of the peak: ${
    Object.entries(summary.peakQpsByPod)
      .map(([pod, qps]) => `${shortPodName(pod)} ${qps.toFixed(1)}`)
      .join(', ') || '-'
  }`,
);
console.log(
  `report: ${relative(process.cwd(), paths.html)} (also ${relative(process.cwd(), paths.svg)}, ${relative(process.cwd(), paths.json)})`,
);
process.exit(0);
