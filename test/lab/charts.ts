// SVG panels of a lab timeline, drawn into a rectangle: traffic, replicas (and container restarts), per-replica QPS,
// p99 latency, failed requests and shed answers over time. The full report stacks them; the comparison puts runs side by side with shared axes.
import { peakPhase } from './profile.js';
import type { Timeline } from './timeline.js';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** How a panel is drawn. */
export interface PanelStyle {
  /** Seconds between time ticks. */
  readonly tickSeconds: number;
  /** Draw legends right of the panel. */
  readonly legend: boolean;
  /** Time span of the axis (shared by panels that are compared). */
  readonly seconds: number;
}

export const POD_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];

/** Styles every panel uses, for a `<style>` element. */
export const CHART_STYLE = [
  'text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;fill:#222}',
  '.heading{font-size:17px;font-weight:600}.sub{font-size:12px;fill:#555}.title{font-size:13px;font-weight:600}',
  '.axis{font-size:10px;fill:#666}.legend{font-size:11px}.event{font-size:11px;font-weight:600;fill:#333}',
  '.none{font-size:12px;fill:#2ca02c}.bad{font-size:12px;fill:#d62728;font-weight:600}.good{font-size:12px;fill:#2ca02c;font-weight:600}',
  '.grid{stroke:#e5e5e5;stroke-width:1}.frame{fill:none;stroke:#bbb}.peak{fill:#fff4e0}',
  '.line{fill:none;stroke-width:1.6;stroke-linejoin:round}.faint{stroke-width:1.2}',
  '.plan{fill:none;stroke:#999;stroke-width:1.2;stroke-dasharray:4 3}',
  '.desired{fill:none;stroke:#333;stroke-width:2;stroke-dasharray:6 3}',
  '.ready{fill:none;stroke:#2ca02c;stroke-width:2.2}.terminating{fill:none;stroke:#d62728;stroke-width:1.4}',
  '.target{stroke:#d62728;stroke-width:1.2;stroke-dasharray:6 3}.sync{fill:#555}',
  '.failed{fill:#d62728}.scale{stroke:#555;stroke-width:1;stroke-dasharray:2 3}',
  '.shed{fill:#ff9f1c}.gaveup{fill:#d62728}.restart{fill:#d62728;stroke:#fff;stroke-width:0.8}',
  '.clients{font-size:11px;fill:#555}',
].join('');

/** Escapes text for XML and HTML. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A number with at most one decimal, for coordinates and labels. */
export const n = (value: number): string => String(Math.round(value * 10) / 10);

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `value`. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** The short name of a pod in legends: its generated suffix. */
export function shortPodName(pod: string): string {
  return pod.slice(pod.lastIndexOf('-') + 1);
}

/** Upper bounds of each panel's value axis for a set of runs drawn with the same scales. */
export interface Scales {
  readonly rps: number;
  readonly replicas: number;
  readonly qps: number;
  /** Powers of ten of the latency axis (from 1 ms). */
  readonly latencyDecades: number;
  readonly failed: number;
  /** Shed answers in one second. */
  readonly shed: number;
  /** Slowest request in a replica's first traffic, ms. */
  readonly firstTraffic: number;
}

export function scalesFor(timelines: readonly Timeline[]): Scales {
  const all = <T>(pick: (timeline: Timeline) => T[]): T[] => timelines.flatMap(pick);
  const latency = Math.max(10, ...all((t) => t.seconds.map((s) => s.p99 ?? 0)));
  return {
    rps: niceCeiling(
      Math.max(1, ...all((t) => t.seconds.map((s) => s.sent)), ...all((t) => t.profile.map((p) => p.rps))),
    ),
    replicas: Math.max(1, ...all((t) => [t.settings.maxReplicas, t.summary.maxDesired])),
    qps: niceCeiling(
      Math.max(
        1,
        ...all((t) => Object.values(t.podQps).flatMap((points) => points.map(([, qps]) => qps))),
        ...all((t) => [t.settings.targetQps * 1.5]),
      ),
    ),
    latencyDecades: Math.max(2, Math.ceil(Math.log10(latency))),
    failed: niceCeiling(Math.max(2, ...all((t) => t.seconds.map((s) => s.failed)))),
    shed: niceCeiling(Math.max(2, ...all((t) => t.seconds.map((s) => s.shed)))),
    firstTraffic: niceCeiling(Math.max(10, ...all((t) => t.pods.map((pod) => pod.firstTrafficMaxMs ?? 0)))),
  };
}

/** Draws panels into a list of SVG elements. */
export class Chart {
  readonly parts: string[] = [];

  add(element: string): void {
    this.parts.push(element);
  }

  text(x: number, y: number, cls: string, text: string, anchor: 'start' | 'middle' | 'end' = 'start'): void {
    const anchorAttr = anchor === 'start' ? '' : ` text-anchor="${anchor}"`;
    this.add(`<text x="${n(x)}" y="${n(y)}" class="${cls}"${anchorAttr}>${escapeXml(text)}</text>`);
  }

  polyline(points: ReadonlyArray<readonly [number, number]>, cls: string, color?: string): void {
    if (points.length === 0) return;
    const d = points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ');
    this.add(`<polyline points="${d}" class="${cls}"${color ? ` stroke="${color}"` : ''}/>`);
  }

  legend(rect: Rect, row: number, text: string, swatch: string): void {
    const x = rect.x + rect.width + 12;
    const y = rect.y + 12 + row * 16;
    this.add(`<line x1="${n(x)}" x2="${n(x + 18)}" y1="${n(y - 4)}" y2="${n(y - 4)}" ${swatch}/>`);
    this.text(x + 24, y, 'legend', text);
  }

  /** Background, grid, value labels, time ticks, frame and the HPA's rescale lines of one panel. */
  frame(
    rect: Rect,
    timeline: Timeline,
    style: PanelStyle,
    yTicks: ReadonlyArray<readonly [value: number, label: string]>,
    y: (value: number) => number,
  ): (t: number) => number {
    const x = (t: number): number => rect.x + (Math.min(Math.max(t, 0), style.seconds) / style.seconds) * rect.width;
    const peak = peakPhase(timeline.profile) ?? { start: 0, end: 0 };
    this.add(
      `<rect x="${n(x(peak.start))}" y="${n(rect.y)}" width="${n(x(peak.end) - x(peak.start))}" height="${n(rect.height)}" class="peak"/>`,
    );
    for (const [value, label] of yTicks) {
      const yy = y(value);
      this.add(`<line x1="${n(rect.x)}" x2="${n(rect.x + rect.width)}" y1="${n(yy)}" y2="${n(yy)}" class="grid"/>`);
      this.text(rect.x - 5, yy + 3.5, 'axis', label, 'end');
    }
    for (let t = 0; t <= style.seconds; t += style.tickSeconds) {
      this.add(
        `<line x1="${n(x(t))}" x2="${n(x(t))}" y1="${n(rect.y)}" y2="${n(rect.y + rect.height)}" class="grid"/>`,
      );
      this.text(x(t), rect.y + rect.height + 12, 'axis', `${t}s`, 'middle');
    }
    this.add(
      `<rect x="${n(rect.x)}" y="${n(rect.y)}" width="${n(rect.width)}" height="${n(rect.height)}" class="frame"/>`,
    );
    for (const event of timeline.summary.scaleEvents) {
      this.add(
        `<line x1="${n(x(event.t))}" x2="${n(x(event.t))}" y1="${n(rect.y)}" y2="${n(rect.y + rect.height)}" class="scale"/>`,
      );
    }
    return x;
  }
}

const linear =
  (rect: Rect, max: number) =>
  (value: number): number =>
    rect.y + rect.height - (Math.min(value, max) / max) * rect.height;

const ticks = (max: number, count: number): Array<[number, string]> =>
  Array.from({ length: count + 1 }, (_, i) => [(max * i) / count, n((max * i) / count)] as [number, string]);

export function drawTraffic(chart: Chart, timeline: Timeline, rect: Rect, style: PanelStyle, scales: Scales): void {
  const y = linear(rect, scales.rps);
  const x = chart.frame(rect, timeline, style, ticks(scales.rps, 4), y);
  // The planned rate of open-loop phases; a closed-loop phase has no rate, only its number of clients.
  for (const phase of timeline.profile) {
    if (phase.clients !== undefined) {
      chart.text((x(phase.start) + x(phase.end)) / 2, rect.y + 13, 'clients', `${phase.clients} clients`, 'middle');
    } else {
      chart.polyline(
        [
          [x(phase.start), y(phase.rps)],
          [x(phase.end), y(phase.rps)],
        ],
        'plan',
      );
    }
  }
  chart.polyline(
    timeline.seconds.map((s) => [x(s.t + 0.5), y(s.sent)] as const),
    'line',
    '#1f77b4',
  );
  const shed = timeline.seconds.some((s) => s.shed > 0);
  if (shed) {
    chart.polyline(
      timeline.seconds.map((s) => [x(s.t + 0.5), y(s.shed)] as const),
      'line faint',
      '#ff9f1c',
    );
  }
  if (style.legend) {
    chart.legend(rect, 0, 'sent', 'stroke="#1f77b4" stroke-width="2"');
    chart.legend(rect, 1, 'profile', 'class="plan"');
    if (shed) chart.legend(rect, 2, 'shed', 'stroke="#ff9f1c" stroke-width="2"');
  }
}

function stepPoints(
  samples: ReadonlyArray<readonly [number, number]>,
  x: (t: number) => number,
  y: (value: number) => number,
): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  let previous: number | undefined;
  for (const [t, value] of samples) {
    if (previous !== undefined && previous !== value) points.push([x(t), y(previous)]);
    points.push([x(t), y(value)]);
    previous = value;
  }
  return points;
}

export function drawReplicas(chart: Chart, timeline: Timeline, rect: Rect, style: PanelStyle, scales: Scales): void {
  const max = scales.replicas;
  const y = linear(rect, max);
  const values = Array.from({ length: max + 1 }, (_, i) => i).filter((i) => max <= 6 || i % 2 === 0);
  const x = chart.frame(
    rect,
    timeline,
    style,
    values.map((v) => [v, String(v)] as const),
    y,
  );
  const series = (pick: (sample: Timeline['replicas'][number]) => number) =>
    stepPoints(
      timeline.replicas.map((sample) => [sample.t, pick(sample)] as const),
      x,
      y,
    );
  chart.polyline(
    series((s) => s.terminating),
    'terminating',
  );
  chart.polyline(
    series((s) => s.ready),
    'ready',
  );
  chart.polyline(
    series((s) => s.desired),
    'desired',
  );
  for (const tick of timeline.ticks) {
    chart.add(`<circle cx="${n(x(tick.t))}" cy="${n(rect.y + rect.height)}" r="2.5" class="sync"/>`);
  }
  for (const event of timeline.summary.scaleEvents) {
    chart.text(x(event.t) + 3, y(Math.max(event.from, event.to)) - 4, 'event', `${event.from}→${event.to}`);
  }
  // A diamond on the top edge for every container the kubelet restarted.
  for (const event of timeline.events) {
    if (event.kind !== 'restarted') continue;
    const cx = x(event.t);
    const cy = rect.y;
    chart.add(
      `<polygon points="${n(cx)},${n(cy - 5)} ${n(cx + 4)},${n(cy)} ${n(cx)},${n(cy + 5)} ${n(cx - 4)},${n(cy)}" class="restart"/>`,
    );
  }
  if (style.legend) {
    chart.legend(rect, 0, 'desired (HPA)', 'class="desired"');
    chart.legend(rect, 1, 'ready', 'class="ready"');
    chart.legend(rect, 2, 'terminating', 'class="terminating"');
    chart.legend(rect, 3, '• HPA sync', 'stroke="none"');
    chart.legend(rect, 4, '◆ restart', 'stroke="none"');
  }
}

export function drawPodQps(chart: Chart, timeline: Timeline, rect: Rect, style: PanelStyle, scales: Scales): void {
  const y = linear(rect, scales.qps);
  const x = chart.frame(rect, timeline, style, ticks(scales.qps, 4), y);
  const target = y(timeline.settings.targetQps);
  chart.add(
    `<line x1="${n(rect.x)}" x2="${n(rect.x + rect.width)}" y1="${n(target)}" y2="${n(target)}" class="target"/>`,
  );
  const pods = timeline.pods.map((pod) => pod.name);
  pods.forEach((pod, index) => {
    const color = POD_COLORS[index % POD_COLORS.length] as string;
    chart.polyline(
      (timeline.podQps[pod] ?? []).map(([t, qps]) => [x(t), y(qps)] as const),
      'line',
      color,
    );
    if (style.legend && index < 6) chart.legend(rect, index, shortPodName(pod), `stroke="${color}" stroke-width="2"`);
  });
  if (style.legend) {
    if (pods.length > 6) chart.legend(rect, 6, `+${pods.length - 6} more`, 'stroke="none"');
    chart.legend(rect, Math.min(pods.length, 7), 'target', 'class="target"');
  }
}

export function drawLatency(chart: Chart, timeline: Timeline, rect: Rect, style: PanelStyle, scales: Scales): void {
  const decades = scales.latencyDecades;
  const y = (value: number): number =>
    rect.y + rect.height - (Math.log10(Math.min(Math.max(value, 1), 10 ** decades)) / decades) * rect.height;
  const x = chart.frame(
    rect,
    timeline,
    style,
    Array.from({ length: decades + 1 }, (_, i) => [10 ** i, 10 ** i >= 1000 ? `${10 ** i / 1000}s` : String(10 ** i)]),
    y,
  );
  const seconds = timeline.seconds.filter((s) => s.p99 !== null);
  chart.polyline(
    seconds.map((s) => [x(s.t + 0.5), y(s.p50 ?? 1)] as const),
    'line faint',
    '#9ecae1',
  );
  chart.polyline(
    seconds.map((s) => [x(s.t + 0.5), y(s.p99 ?? 1)] as const),
    'line',
    '#d62728',
  );
  if (style.legend) {
    chart.legend(rect, 0, 'p99', 'stroke="#d62728" stroke-width="2"');
    chart.legend(rect, 1, 'p50', 'stroke="#9ecae1" stroke-width="2"');
  }
}

/**
 * A panel of whole counts per second on a scale up to `max`: 0, the middle when it is whole, the top. Returns a
 * function drawing one second's bar of `count` in the CSS class `cls`.
 */
function countPanel(
  chart: Chart,
  timeline: Timeline,
  rect: Rect,
  style: PanelStyle,
  max: number,
): (t: number, count: number, cls: string) => void {
  const y = linear(rect, max);
  const values = max % 2 === 0 ? [0, max / 2, max] : [0, max];
  const x = chart.frame(
    rect,
    timeline,
    style,
    values.map((value) => [value, String(value)] as const),
    y,
  );
  const width = Math.max(rect.width / style.seconds, 1.5);
  return (t, count, cls) => {
    if (count === 0) return;
    const top = y(count);
    chart.add(
      `<rect x="${n(x(t))}" y="${n(top)}" width="${n(width)}" height="${n(rect.y + rect.height - top)}" class="${cls}"/>`,
    );
  };
}

function noneLabel(chart: Chart, rect: Rect): void {
  chart.text(rect.x + rect.width / 2, rect.y + rect.height / 2 + 4, 'none', 'none', 'middle');
}

export function drawFailed(chart: Chart, timeline: Timeline, rect: Rect, style: PanelStyle, scales: Scales): void {
  const bar = countPanel(chart, timeline, rect, style, scales.failed);
  for (const second of timeline.seconds) bar(second.t, second.failed, 'failed');
  if (timeline.summary.failed === 0) noneLabel(chart, rect);
}

/** Shed answers per second: retried by the client (amber), or the request's last answer (red, also a failure). */
export function drawShed(chart: Chart, timeline: Timeline, rect: Rect, style: PanelStyle, scales: Scales): void {
  const bar = countPanel(chart, timeline, rect, style, scales.shed);
  for (const second of timeline.seconds) {
    bar(second.t, second.shed, 'shed');
    bar(second.t, second.shed - second.shedRetried, 'gaveup');
  }
  if (Object.keys(timeline.summary.shed).length === 0) noneLabel(chart, rect);
  if (style.legend) {
    chart.legend(rect, 0, 'retried', 'stroke="#ff9f1c" stroke-width="6"');
    chart.legend(rect, 1, 'given up', 'stroke="#d62728" stroke-width="6"');
  }
}

/** One bar per replica, in creation order: the slowest request of its first traffic (a cold replica stands out). */
export function drawFirstTraffic(chart: Chart, timeline: Timeline, rect: Rect, scales: Scales): void {
  const y = linear(rect, scales.firstTraffic);
  for (const [value, label] of ticks(scales.firstTraffic, 2)) {
    chart.add(
      `<line x1="${n(rect.x)}" x2="${n(rect.x + rect.width)}" y1="${n(y(value))}" y2="${n(y(value))}" class="grid"/>`,
    );
    chart.text(rect.x - 5, y(value) + 3.5, 'axis', label, 'end');
  }
  chart.add(
    `<rect x="${n(rect.x)}" y="${n(rect.y)}" width="${n(rect.width)}" height="${n(rect.height)}" class="frame"/>`,
  );
  const pods = timeline.pods.filter((pod) => pod.firstTrafficMaxMs !== null);
  const slot = rect.width / Math.max(pods.length, 1);
  timeline.pods.forEach((pod, index) => {
    const value = pod.firstTrafficMaxMs;
    if (value === null) return;
    const column = pods.indexOf(pod);
    const x = rect.x + column * slot + slot * 0.2;
    const top = y(value);
    const color = POD_COLORS[index % POD_COLORS.length] as string;
    chart.add(
      `<rect x="${n(x)}" y="${n(top)}" width="${n(slot * 0.6)}" height="${n(rect.y + rect.height - top)}" fill="${color}"/>`,
    );
    chart.text(x + slot * 0.3, Math.max(top - 3, rect.y + 10), 'axis', `${Math.round(value)} ms`, 'middle');
    chart.text(x + slot * 0.3, rect.y + rect.height + 12, 'axis', shortPodName(pod.name), 'middle');
  });
}

/** Wraps elements into a standalone SVG document whose `title` is its text alternative. */
export function svgDocument(width: number, height: number, title: string, parts: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<style>${CHART_STYLE}</style>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
