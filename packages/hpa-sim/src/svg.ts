// A dependency-free SVG chart of a simulation: traffic over the capacity of the ready pods (left axis), desired and
// ready replicas (right axis), and the overloaded periods shaded.
import type { SimulationResult } from './simulate.js';
import { trafficAt } from './traces.js';

const WIDTH = 960;
const HEIGHT = 440;
const MARGIN = { top: 56, right: 64, bottom: 72, left: 64 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;
const COLORS = { traffic: '#1f77b4', capacity: '#ff7f0e', desired: '#333333', ready: '#2ca02c', overload: '#d62728' };

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  return step ?? 10 * magnitude;
}

function niceMax(value: number, ticks: number): number {
  if (value <= 0) return 1;
  const step = niceStep(value, ticks);
  return Math.ceil(value / step) * step;
}

function fmt(n: number): string {
  return Number(n.toFixed(1)).toString();
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function formatTime(seconds: number): string {
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** Points of a step line: each value holds until the next time. */
function stepPath(points: readonly [number, number][]): string {
  return points
    .map(([x, y], i) => {
      const previous = points[i - 1];
      return previous === undefined ? `M${fmt(x)},${fmt(y)}` : `H${fmt(x)}V${fmt(y)}`;
    })
    .join('');
}

/** Renders the chart of a simulation as a standalone SVG document. */
export function renderSvg(result: SimulationResult, title = `${result.spec.name}: traffic and replicas`): string {
  const { timeline, summary, options, spec } = result;
  const duration = options.durationSeconds ?? timeline[timeline.length - 1]?.time ?? 0;
  const end = Math.max(duration, 1);
  const capacity = options.capacityQps ?? 0;
  const maxQps = niceMax(
    Math.max(...result.trace.map((p) => p.qps), ...timeline.map((row) => row.readyReplicas * capacity)),
    5,
  );
  const maxReplicas = niceMax(Math.max(spec.maxReplicas, summary.peakReplicas), 5);
  const x = (t: number) => MARGIN.left + (Math.min(t, end) / end) * PLOT_WIDTH;
  const yQps = (q: number) => MARGIN.top + PLOT_HEIGHT - (q / maxQps) * PLOT_HEIGHT;
  const yReplicas = (r: number) => MARGIN.top + PLOT_HEIGHT - (r / maxReplicas) * PLOT_HEIGHT;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12" role="img" aria-labelledby="title desc">`,
    `<title id="title">${escapeXml(title)}</title>`,
    `<desc id="desc">${escapeXml(summaryLine(result))}</desc>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${MARGIN.left}" y="40" fill="#555555">${escapeXml(summaryLine(result))}</text>`,
  );

  // Overloaded stretches: consecutive overloaded syncs merge into one band.
  timeline.forEach((row, i) => {
    if (!row.overloaded || timeline[i - 1]?.overloaded) return;
    const stop = timeline.findIndex((later, j) => j > i && !later.overloaded);
    const until = stop === -1 ? duration : (timeline[stop]?.time ?? duration);
    parts.push(
      `<rect x="${fmt(x(row.time))}" y="${MARGIN.top}" width="${fmt(x(until) - x(row.time))}" height="${PLOT_HEIGHT}" fill="${COLORS.overload}" fill-opacity="0.12"/>`,
    );
  });

  // Grid and axes.
  const qpsStep = niceStep(maxQps, 5);
  for (let q = 0; q <= maxQps + 1e-9; q += qpsStep) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_WIDTH}" y1="${fmt(yQps(q))}" y2="${fmt(yQps(q))}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${fmt(yQps(q) + 4)}" text-anchor="end" fill="${COLORS.traffic}">${fmt(q)}</text>`,
    );
  }
  const replicaStep = niceStep(maxReplicas, 5);
  for (let r = 0; r <= maxReplicas + 1e-9; r += replicaStep) {
    parts.push(
      `<text x="${MARGIN.left + PLOT_WIDTH + 6}" y="${fmt(yReplicas(r) + 4)}" fill="${COLORS.desired}">${fmt(r)}</text>`,
    );
  }
  const timeStep = niceStep(end, 10);
  const tickStep = [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400].find((s) => s >= timeStep) ?? timeStep;
  for (let t = 0; t <= end; t += tickStep) {
    parts.push(
      `<line x1="${fmt(x(t))}" x2="${fmt(x(t))}" y1="${MARGIN.top + PLOT_HEIGHT}" y2="${MARGIN.top + PLOT_HEIGHT + 5}" stroke="#999999"/>`,
      `<text x="${fmt(x(t))}" y="${MARGIN.top + PLOT_HEIGHT + 18}" text-anchor="middle">${formatTime(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_WIDTH}" height="${PLOT_HEIGHT}" fill="none" stroke="#999999"/>`,
    `<text transform="translate(18 ${MARGIN.top + PLOT_HEIGHT / 2}) rotate(-90)" text-anchor="middle" fill="${COLORS.traffic}">QPS</text>`,
    `<text transform="translate(${WIDTH - 16} ${MARGIN.top + PLOT_HEIGHT / 2}) rotate(90)" text-anchor="middle">replicas</text>`,
    `<text x="${MARGIN.left + PLOT_WIDTH / 2}" y="${MARGIN.top + PLOT_HEIGHT + 36}" text-anchor="middle">time</text>`,
  );

  // Series.
  const tracePoints = result.trace.filter((p) => p.time <= end);
  const traffic = [
    ...tracePoints.map((p) => `${fmt(x(p.time))},${fmt(yQps(p.qps))}`),
    `${fmt(x(end))},${fmt(yQps(trafficAt(result.trace, end)))}`,
  ];
  const capacityLine = timeline.map((row): [number, number] => [x(row.time), yQps(row.readyReplicas * capacity)]);
  const desired = timeline.map((row): [number, number] => [x(row.time), yReplicas(row.desiredReplicas)]);
  const ready = timeline.map((row): [number, number] => [x(row.time), yReplicas(row.readyReplicas)]);
  const tail = (series: [number, number][]) => {
    const last = series[series.length - 1];
    return last === undefined ? series : [...series, [x(end), last[1]] as [number, number]];
  };
  parts.push(
    `<path d="${stepPath(tail(capacityLine))}V${fmt(yQps(0))}H${fmt(x(0))}Z" fill="${COLORS.capacity}" fill-opacity="0.18" stroke="none"/>`,
    `<polyline points="${traffic.join(' ')}" fill="none" stroke="${COLORS.traffic}" stroke-width="2"/>`,
    `<path d="${stepPath(tail(desired))}" fill="none" stroke="${COLORS.desired}" stroke-width="2"/>`,
    `<path d="${stepPath(tail(ready))}" fill="none" stroke="${COLORS.ready}" stroke-width="2" stroke-dasharray="2 3"/>`,
  );

  // Legend.
  const legend: [string, string, string][] = [
    ['traffic (QPS)', COLORS.traffic, ''],
    ['desired replicas', COLORS.desired, ''],
    ['ready replicas', COLORS.ready, '2 3'],
  ];
  let legendX = MARGIN.left;
  const legendY = HEIGHT - 14;
  for (const [label, color, dash] of legend) {
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 22}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${legendX + 28}" y="${legendY}">${escapeXml(label)}</text>`,
    );
    legendX += 40 + label.length * 6.6;
  }
  const areas: [string, string, number][] = [
    [`capacity of ready pods (${fmt(capacity)} QPS each)`, COLORS.capacity, 0.35],
    ['overloaded', COLORS.overload, 0.25],
  ];
  for (const [label, color, opacity] of areas) {
    parts.push(
      `<rect x="${legendX}" y="${legendY - 11}" width="14" height="10" fill="${color}" fill-opacity="${opacity}"/>`,
      `<text x="${legendX + 20}" y="${legendY}">${escapeXml(label)}</text>`,
    );
    legendX += 34 + label.length * 6.6;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** One line of headline figures. */
export function summaryLine(result: SimulationResult): string {
  const s = result.summary;
  const seconds = (value: number | null) => (value === null ? 'never' : `${value} s`);
  return [
    `first scale-up ${seconds(s.timeToFirstScaleUp)} and settled ${seconds(s.timeToSettle)} after the traffic change`,
    `overloaded ${s.overloadSeconds} s`,
    `${s.replicaSeconds} replica-seconds`,
    `${s.directionChanges} direction change${s.directionChanges === 1 ? '' : 's'}`,
  ].join(' · ');
}
