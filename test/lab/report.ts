// The report of a run: one SVG with six panels sharing the time axis (traffic, replicas and restarts, per-replica QPS,
// p99 latency, failed requests, shed answers), and a self-contained HTML page holding that SVG with the summary, the
// settings, the HPA syncs, the pods and the kubelet's probe failures and restarts; and the comparison of several runs. No script, no external resource: the files open anywhere.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Chart,
  drawFailed,
  drawFirstTraffic,
  drawLatency,
  drawPodQps,
  drawReplicas,
  drawShed,
  drawTraffic,
  escapeXml,
  n,
  scalesFor,
  shortPodName,
  svgDocument,
} from './charts.js';
import { ROUTE_MIX } from './profile.js';
import { SAFEGUARD_NAMES, type Safeguards } from './settings.js';
import { FIRST_TRAFFIC_SECONDS, type LabSummary, type Timeline } from './timeline.js';

const WIDTH = 960;
const LEFT = 64;
const RIGHT = 150;
const HEADER = 80;
const PANEL_HEIGHT = 110;
const PANEL_GAP = 44;
const FOOTER = 30;

type Draw = typeof drawTraffic;

const SAFEGUARD_LABELS = {
  warmup: 'warm-up',
  drain: 'drain',
  recycle: 'connection recycling',
  admission: 'admission control',
} as const;

/** The same, short enough for a column heading that lists them all. */
const SHORT_LABELS = { warmup: 'warm-up', drain: 'drain', recycle: 'recycling', admission: 'admission' } as const;

/** `a`, `a and b`, `a, b and c` */
function listed(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * The label of a run: which safeguards it leaves out. A timeline recorded before a safeguard existed does not name
 * it.
 */
export function runDescription(safeguards: Safeguards): string {
  const known = SAFEGUARD_NAMES.filter((name) => safeguards[name] !== undefined);
  const off = known.filter((name) => safeguards[name] === false);
  if (off.length === 0) return `${listed(known.map((name) => SHORT_LABELS[name]))} on`;
  return `${off.map((name) => SAFEGUARD_LABELS[name]).join(', ')} off`;
}

/** Shed answers over the run, all reasons together. */
export function shedTotal(summary: LabSummary): number {
  return Object.values(summary.shed).reduce((a, b) => a + b, 0);
}

/** `N shed (M retried) · R restarts`, the part of a run's headline that admission control and the kubelet write. */
function overloadHeadline(summary: LabSummary): string {
  return `${shedTotal(summary)} shed (${summary.shedRetried} retried) · ${summary.restarts} restarts`;
}

/** The report's picture: six panels sharing the time axis, as one standalone SVG document. */
export function renderSvg(timeline: Timeline): string {
  const { summary } = timeline;
  const panels: Array<[string, Draw]> = [
    ['Traffic (requests sent per second)', drawTraffic],
    ['Replicas', drawReplicas],
    [`Per-replica QPS (Prometheus, rate over ${timeline.settings.rateWindowSeconds}s) and the HPA target`, drawPodQps],
    ['Latency p99 per second of the admitted requests (ms, log scale)', drawLatency],
    [`Failed requests per second (total ${summary.failed})`, drawFailed],
    [`Shed answers per second, 503 with Retry-After (total ${shedTotal(summary)})`, drawShed],
  ];
  const height = HEADER + panels.length * (PANEL_HEIGHT + PANEL_GAP) + FOOTER;
  const chart = new Chart();
  const style = { tickSeconds: 30, legend: true, seconds: Math.max(timeline.durationSeconds, 1) };
  const scales = scalesFor([timeline]);
  const title = `warmscale lab: ${timeline.name} run (${runDescription(timeline.safeguards)})`;
  chart.text(LEFT, 26, 'heading', title);
  const failed = summary.failed === 0 ? 'no failed requests' : `${summary.failed} failed requests`;
  const events = summary.scaleEvents.map((event) => `${event.from}→${event.to}`).join(', ') || 'none';
  chart.text(
    LEFT,
    46,
    'sub',
    `${summary.requests} requests, ${failed}, p99 ${n(summary.p99Ms)} ms · ${overloadHeadline(summary)}`,
  );
  chart.text(
    LEFT,
    62,
    'sub',
    `${loadDescription(timeline)} · scale events ${events} · target ${timeline.settings.targetQps} q/s per pod · shaded: peak`,
  );
  panels.forEach(([panelTitle, draw], index) => {
    const rect = {
      x: LEFT,
      y: HEADER + index * (PANEL_HEIGHT + PANEL_GAP) + PANEL_GAP - 14,
      width: WIDTH - LEFT - RIGHT,
      height: PANEL_HEIGHT,
    };
    chart.text(LEFT, rect.y - 10, 'title', panelTitle);
    draw(chart, timeline, rect, style, scales);
  });
  chart.text(
    LEFT,
    height - 8,
    'sub',
    `Dotted vertical lines: HPA rescales. Time: seconds since the first pod started. ${timeline.command}`,
  );
  const alternative = `${title}: ${summary.requests} requests, ${failed}, ${overloadHeadline(summary)}, scale events ${events}`;
  return svgDocument(WIDTH, height, alternative, chart.parts);
}

/**
 * Runs side by side, one column each, with shared axes: replicas and restarts, per-replica QPS, p99 latency, failed
 * requests, shed answers and each replica's first traffic. The README's picture of the default run beside each trap
 * run, and of the spike with and without admission control.
 */
export function renderComparison(timelines: readonly Timeline[], perBand = 4): string {
  const columnWidth = 300;
  const left = 44;
  const gap = 26;
  const header = 100;
  const cellHeight = 84;
  const rowGap = 40;
  const bandGap = 24;
  const rows: Array<[string, Draw]> = [
    ['Replicas: desired (dashed), ready; ◆ restart', drawReplicas],
    ['Per-replica QPS, HPA target (dashed)', drawPodQps],
    ['Latency p99 per second, admitted requests (ms, log)', drawLatency],
    ['Failed requests per second', drawFailed],
    ['Shed per second: retried (amber), given up (red)', drawShed],
    [
      `Slowest request in each replica's first ${FIRST_TRAFFIC_SECONDS} s of traffic`,
      (chart, timeline, rect, _style, scales) => drawFirstTraffic(chart, timeline, rect, scales),
    ],
  ];
  // Runs side by side, at most `perBand` to a band; bands stack, every cell on the same scales.
  const columns = Math.min(perBand, timelines.length);
  const bands = Math.ceil(timelines.length / perBand);
  const bandHeight = header + rows.length * (cellHeight + rowGap);
  const width = left + columns * (columnWidth + gap);
  const height = bands * bandHeight + (bands - 1) * bandGap + 16;
  const chart = new Chart();
  const scales = scalesFor(timelines);
  const style = { tickSeconds: 60, legend: false, seconds: Math.max(1, ...timelines.map((t) => t.durationSeconds)) };
  timelines.forEach((timeline, index) => {
    const x = left + (index % perBand) * (columnWidth + gap);
    const top = Math.floor(index / perBand) * (bandHeight + bandGap);
    const { summary } = timeline;
    chart.text(x, top + 20, 'title', `${timeline.name}: ${loadDescription(timeline)}`);
    chart.text(x, top + 36, 'sub', runDescription(timeline.safeguards));
    const events = summary.scaleEvents.map((e) => `${e.from}→${e.to}`).join(' ') || 'none';
    chart.text(
      x,
      top + 53,
      summary.failed === 0 && summary.restarts === 0 ? 'good' : 'bad',
      `${summary.failed} failed requests · ${summary.restarts} restarts`,
    );
    chart.text(x, top + 69, 'sub', `${shedTotal(summary)} shed, ${summary.shedRetried} of them retried`);
    chart.text(x, top + 85, 'sub', `scale events ${events}`);
    rows.forEach(([title, draw], row) => {
      const rect = { x, y: top + header + row * (cellHeight + rowGap) + 22, width: columnWidth, height: cellHeight };
      chart.text(x, rect.y - 7, 'axis', title);
      draw(chart, timeline, rect, style, scales);
    });
  });
  const alternative = `warmscale lab runs side by side: ${timelines
    .map(
      (t) =>
        `${t.name} (${t.summary.failed} failed requests, ${overloadHeadline(t.summary)}, slowest request in a replica's first ${FIRST_TRAFFIC_SECONDS} s ${n(t.summary.firstTraffic.maxMs)} ms)`,
    )
    .join(', ')}`;
  return svgDocument(width, height, alternative, chart.parts);
}

/** What load a run drew: the step's peak rate, or the spike's clients and their route. */
export function loadDescription(timeline: Timeline): string {
  const clients = Math.max(0, ...timeline.profile.map((phase) => phase.clients ?? 0));
  if (clients > 0) return `${clients} clients on ${timeline.settings.requestPath ?? 'the route mix'}`;
  return `step to ${Math.max(0, ...timeline.profile.map((phase) => phase.rps))} req/s`;
}

function table(headers: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string {
  const head =
    headers.length === 0 ? '' : `<thead><tr>${headers.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead>`;
  const body = rows
    .map((row) => `<tr>${row.map((cell) => `<td>${escapeXml(String(cell))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table>${head}<tbody>\n${body}\n</tbody></table>`;
}

/** The kubelet's events the report lists: failed probes, kills and restarts of containers. */
const KUBELET_EVENTS: ReadonlySet<string> = new Set([
  'unready',
  'startup-failed',
  'liveness-failed',
  'sigterm',
  'sigkill',
  'exited',
  'back-off',
  'restarted',
]);

const seconds = (t: number | null): string => (t === null ? '-' : `${n(t)}s`);

/** Renders the self-contained HTML report. */
export function renderHtml(timeline: Timeline): string {
  const { summary, settings } = timeline;
  const served = new Map(summary.servedAtPeakEnd?.pods.map((pod) => [pod.pod, pod.requests]) ?? []);
  const title = `warmscale lab: ${timeline.name} run`;
  const summaryRows: Array<[string, string]> = [
    ['Safeguards', runDescription(timeline.safeguards)],
    ['Requests', String(summary.requests)],
    [
      'Failed requests',
      summary.failed === 0
        ? '0'
        : `${summary.failed} (${Object.entries(summary.failures)
            .map(([outcome, count]) => `${outcome}: ${count}`)
            .join(', ')})`,
    ],
    [
      'Shed by admission control',
      shedTotal(summary) === 0
        ? '0'
        : `${shedTotal(summary)} answers 503 with Retry-After (${Object.entries(summary.shed)
            .map(([reason, count]) => `${reason}: ${count}`)
            .join(
              ', ',
            )}); ${summary.shedRetried} retried by their client, ${shedTotal(summary) - summary.shedRetried} were a request's last answer (counted as failed)`,
    ],
    ['Container restarts', `${summary.restarts} (${summary.livenessRestarts} after a failed liveness probe)`],
    ['Scale events', summary.scaleEvents.map((e) => `${e.from} → ${e.to} at ${n(e.t)}s`).join(', ') || 'none'],
    [
      'Replicas',
      `max ${summary.maxDesired} desired, ${summary.maxReady} ready; at the end ${summary.finalDesired} desired`,
    ],
    [
      'Latency',
      `admitted requests: p99 ${n(summary.p99Ms)} ms over the run; worst second's p99 ${n(summary.worstSecondP99Ms)} ms; ${summary.slowRequests} requests took 1 s or more`,
    ],
    [
      `Each replica's first ${FIRST_TRAFFIC_SECONDS} s of traffic`,
      `${summary.firstTraffic.requests} requests, p99 ${n(summary.firstTraffic.p99Ms)} ms, slowest ${n(summary.firstTraffic.maxMs)} ms`,
    ],
    [
      'Per-replica QPS, second half of the peak',
      Object.entries(summary.peakQpsByPod)
        .map(([pod, qps]) => `${shortPodName(pod)} ${n(qps)}`)
        .join(', ') || '-',
    ],
  ];
  const settingRows: Array<[string, string]> = [
    ['Chart values', `helm template ${settings.helmArgs.join(' ')}`],
    ['HPA target', `${settings.targetQps} q/s per pod, ${settings.minReplicas}-${settings.maxReplicas} replicas`],
    ['HPA behavior', JSON.stringify(settings.hpaBehavior)],
    ['Adapter query', settings.adapterQuery],
    ['Scrape interval / rate window', `${settings.scrapeIntervalSeconds}s / ${settings.rateWindowSeconds}s`],
    ['HPA sync period', `${settings.syncPeriodSeconds}s`],
    ['Endpoint propagation lag', `${settings.propagationLagSeconds}s`],
    [
      'Replicas until ready',
      settings.startNice === null
        ? 'normal CPU priority'
        : `nice ${settings.startNice} (booting and warming up take no CPU from serving replicas)`,
    ],
    ['preStop sleep / grace period', `${settings.preStopSleepSeconds}s / ${settings.terminationGracePeriodSeconds}s`],
    [
      'Container environment',
      Object.entries(settings.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    ],
    [
      'Client',
      `${settings.connections} keep-alive connections (${timeline.client.connections} opened over the run); ${Math.round(
        settings.freshConnectionShare * 100,
      )}% of requests on a new connection each (${timeline.client.fresh})`,
    ],
    ...(settings.retry === undefined || (timeline.client.clients ?? 0) === 0
      ? []
      : [
          [
            'Closed-loop clients',
            `${timeline.client.clients} started, one keep-alive connection each; a shed request is sent again after its Retry-After (at most ${settings.retry.maxRetryAfterSeconds} s), up to ${settings.retry.maxRetries} times`,
          ] as [string, string],
        ]),
    ['Requests', settings.requestPath ?? `the route mix (${ROUTE_MIX.map((route) => route.path).join(', ')})`],
    [
      'Load profile',
      timeline.profile
        .map(
          (p) =>
            `${p.name} ${p.clients === undefined ? `${p.rps} req/s` : `${p.clients} clients`} ${n(p.start)}-${n(p.end)}s`,
        )
        .join(', '),
    ],
  ];
  const podRows = timeline.pods.map((pod) => [
    pod.name,
    seconds(pod.createdAt),
    seconds(pod.readyAt),
    seconds(pod.deletedAt),
    seconds(pod.exitedAt),
    pod.exitCode === null ? '-' : String(pod.exitCode),
    pod.connections,
    pod.refusedConnections,
    pod.requests,
    pod.restarts,
    pod.firstTrafficMaxMs === null ? '-' : `${n(pod.firstTrafficMaxMs)} ms`,
    served.get(pod.name) ?? '-',
  ]);
  const tickRows = timeline.ticks.map((tick) => [
    `${n(tick.t)}s`,
    tick.averageQps === null ? '-' : n(tick.averageQps),
    Object.entries(tick.samples)
      .map(([pod, qps]) => `${shortPodName(pod)} ${n(qps)}`)
      .join(', '),
    `${tick.currentReplicas} → ${tick.desiredReplicas}`,
    tick.metricDesiredReplicas ?? '-',
    tick.reasons.join(', '),
    tick.error ?? '',
  ]);
  const kubelet = timeline.events
    .filter((event) => KUBELET_EVENTS.has(event.kind))
    .map((event) => [
      `${n(event.t)}s`,
      event.pod === undefined ? '-' : shortPodName(event.pod),
      event.kind,
      event.detail ?? '',
    ]);
  const failures = timeline.failedRequests
    .slice(0, 100)
    .map((f) => [`${n(f.t)}s`, f.outcome, `${n(f.latencyMs)} ms`, f.pod ?? '-']);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 12px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f6f6f6}
td{word-break:break-word}svg{max-width:100%;height:auto}code{font-size:12px}
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<p><code>${escapeXml(timeline.command)}</code>, ${escapeXml(timeline.date)}</p>
${table([], summaryRows)}
${renderSvg(timeline)}
<h2>Settings</h2>
${table(['Setting', 'Value'], settingRows)}
<h2>HPA syncs</h2>
${table(['Time', 'Average q/s', 'Per pod (adapter)', 'Replicas', 'Metric asks', 'Conditions', 'Error'], tickRows)}
<h2>Pods</h2>
${table(
  [
    'Pod',
    'Created',
    'Ready',
    'Deleted',
    'Exited',
    'Exit',
    'Connections',
    'Refused',
    'Requests',
    'Restarts',
    `Slowest in first ${FIRST_TRAFFIC_SECONDS} s`,
    'Counted at peak end',
  ],
  podRows,
)}
<h2>Probe failures and restarts</h2>
${kubelet.length === 0 ? '<p>None.</p>' : table(['Time', 'Pod', 'Event', 'Detail'], kubelet)}
<h2>Failed requests</h2>
${failures.length === 0 ? '<p>None.</p>' : table(['Sent', 'Outcome', 'After', 'Routed to'], failures)}
</body>
</html>
`;
}

const LINE_WIDTH = 120;

/**
 * JSON laid out the way the repository's formatter (Biome) lays it out, so a committed timeline passes `biome ci`:
 * objects one member per line, arrays of plain values on one line when the line fits in 120 columns, else numbers
 * filling lines and other values one per line; two spaces of indentation.
 */
export function formatJson(value: unknown): string {
  const layout = (item: unknown, indent: string, prefix: number): string => {
    if (Array.isArray(item)) {
      if (item.length === 0) return '[]';
      const plain = item.every((element) => typeof element !== 'object' || element === null || Array.isArray(element));
      if (plain) {
        const inline = `[${item.map((element) => layout(element, '', 0)).join(', ')}]`;
        // The line also holds the indentation, the key and a trailing comma.
        if (!inline.includes('\n') && indent.length + prefix + inline.length + 1 <= LINE_WIDTH) return inline;
      }
      const inner = `${indent}  `;
      if (item.every((element) => typeof element === 'number')) {
        // Numbers fill lines, as many to a line as fit.
        const lines: string[] = [];
        let line = '';
        item.forEach((element, index) => {
          const token = `${JSON.stringify(element)}${index < item.length - 1 ? ',' : ''}`;
          if (line !== '' && inner.length + line.length + 1 + token.length > LINE_WIDTH) {
            lines.push(line);
            line = token;
          } else {
            line = line === '' ? token : `${line} ${token}`;
          }
        });
        lines.push(line);
        return `[\n${lines.map((text) => `${inner}${text}`).join('\n')}\n${indent}]`;
      }
      return `[\n${item.map((element) => `${inner}${layout(element, inner, 0)}`).join(',\n')}\n${indent}]`;
    }
    if (typeof item === 'object' && item !== null) {
      const entries = Object.entries(item).filter(([, member]) => member !== undefined);
      if (entries.length === 0) return '{}';
      const inner = `${indent}  `;
      const members = entries.map(([key, member]) => {
        const name = `${JSON.stringify(key)}: `;
        return `${inner}${name}${layout(member, inner, name.length)}`;
      });
      return `{\n${members.join(',\n')}\n${indent}}`;
    }
    return JSON.stringify(item) ?? 'null';
  };
  return `${layout(value, '', 0)}\n`;
}

/** Writes `<name>.html`, `<name>.svg` and `<name>.json` into `dir`; returns their paths. */
export function writeReport(dir: string, timeline: Timeline): { html: string; svg: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const paths = {
    html: join(dir, `${timeline.name}.html`),
    svg: join(dir, `${timeline.name}.svg`),
    json: join(dir, `${timeline.name}.json`),
  };
  writeFileSync(paths.html, renderHtml(timeline));
  writeFileSync(paths.svg, renderSvg(timeline));
  writeFileSync(paths.json, formatJson(timeline));
  return paths;
}

/** Writes the comparison of `timelines` to `<dir>/comparison.svg`; returns its path. */
export function writeComparison(dir: string, timelines: readonly Timeline[]): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'comparison.svg');
  writeFileSync(path, renderComparison(timelines));
  return path;
}
