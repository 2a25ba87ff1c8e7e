// Traffic traces for the simulator: total QPS over time, from a CSV/JSON file or a named profile.

/** One point of a trace: total QPS across all pods at `time` seconds. */
export interface TracePoint {
  readonly time: number;
  readonly qps: number;
}

/** Thrown for a trace that cannot drive a simulation; the message names the line or entry. */
export class TraceError extends Error {
  override readonly name = 'TraceError';
}

function point(time: unknown, qps: unknown, where: string): TracePoint {
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) {
    throw new TraceError(`${where}: time must be a number of seconds >= 0 (got ${String(time)})`);
  }
  if (typeof qps !== 'number' || !Number.isFinite(qps) || qps < 0) {
    throw new TraceError(`${where}: qps must be a number >= 0 (got ${String(qps)})`);
  }
  return { time, qps };
}

/**
 * Checks that a trace is usable: at least one point, times sorted. Two points at the same time make a step; between
 * points the traffic is linear, before the first and after the last it is constant.
 *
 * @throws TraceError naming the first offending point.
 */
export function validateTrace(points: readonly TracePoint[], where = 'trace'): TracePoint[] {
  if (points.length === 0) throw new TraceError(`${where}: no points`);
  const checked = points.map((p, i) => point(p.time, p.qps, `${where} point ${i + 1}`));
  checked.forEach((p, i) => {
    const previous = checked[i - 1];
    if (previous !== undefined && p.time < previous.time) {
      throw new TraceError(
        `${where} point ${i + 1}: time ${p.time} is before the previous time ${previous.time} (times must be sorted)`,
      );
    }
  });
  return checked;
}

function csvNumber(cell: string | undefined): number | string | undefined {
  if (cell === undefined) return undefined;
  const trimmed = cell.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}

function parseCsv(text: string): TracePoint[] {
  const points: TracePoint[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [time, qps, ...rest] = line.split(',').map(csvNumber);
    // A header line such as "time,qps" is skipped.
    if (points.length === 0 && typeof time === 'string' && typeof qps === 'string' && rest.length === 0) return;
    if (rest.length > 0) throw new TraceError(`trace line ${i + 1}: expected "time,qps" (got "${line}")`);
    points.push(point(time, qps, `trace line ${i + 1}`));
  });
  return points;
}

function parseJson(text: string): TracePoint[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new TraceError(`trace: invalid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(data)) throw new TraceError('trace: JSON must be an array of {"time", "qps"} or [time, qps]');
  return data.map((entry: unknown, i) => {
    if (Array.isArray(entry)) return point(entry[0], entry[1], `trace entry ${i + 1}`);
    const { time, qps } = (entry ?? {}) as { time?: unknown; qps?: unknown };
    return point(time, qps, `trace entry ${i + 1}`);
  });
}

/**
 * Parses a trace: CSV lines `time,qps` (an optional header, `#` comments) or JSON (`[{"time":0,"qps":50}, ...]` or
 * `[[0, 50], ...]`). The format is JSON when the text starts with `[`.
 *
 * @throws TraceError for negative QPS, unsorted times, or malformed lines.
 */
export function parseTrace(text: string): TracePoint[] {
  const points = text.trimStart().startsWith('[') ? parseJson(text) : parseCsv(text);
  return validateTrace(points);
}

/** The traffic at time `t`: linear between points; at a step the later point wins; constant outside the trace. */
export function trafficAt(points: readonly TracePoint[], t: number): number {
  let previous: TracePoint | undefined;
  for (const p of points) {
    if (p.time > t) {
      if (previous === undefined) return p.qps;
      return previous.qps + ((p.qps - previous.qps) * (t - previous.time)) / (p.time - previous.time);
    }
    previous = p;
  }
  return previous?.qps ?? 0;
}

/** Named traffic shapes. */
export type ProfileName = 'step' | 'ramp' | 'spike' | 'diurnal';

/** Parameters of {@link profileTrace}, in QPS and seconds. */
export interface ProfileOptions {
  readonly profile: ProfileName;
  /** Traffic before the change, and the trough of `diurnal`. @defaultValue 50 */
  readonly base?: number;
  /** Traffic after the change, and the crest of `diurnal`. @defaultValue 500 */
  readonly peak?: number;
  /** When the change starts. @defaultValue 60 */
  readonly at?: number;
  /** How long a `ramp` climbs, or a `spike` lasts. @defaultValue 300 */
  readonly duration?: number;
  /** One `diurnal` cycle. @defaultValue 86400 */
  readonly period?: number;
  /** Length of the trace. @defaultValue `at + duration + 900` (`diurnal`: one period) */
  readonly length?: number;
}

export const PROFILES: readonly ProfileName[] = ['step', 'ramp', 'spike', 'diurnal'];

// A diurnal curve is sampled this many times per period; the trace interpolates linearly in between.
const DIURNAL_SAMPLES = 96;

/**
 * Builds a named trace: `step` jumps from base to peak at `at`; `ramp` climbs linearly over `duration`; `spike` holds
 * the peak for `duration` then falls back; `diurnal` follows `base + (peak - base) × (1 - cos(2πt / period)) / 2`.
 */
export function profileTrace(options: ProfileOptions): TracePoint[] {
  const base = options.base ?? 50;
  const peak = options.peak ?? 500;
  const at = options.at ?? 60;
  const duration = options.duration ?? 300;
  const period = options.period ?? 86400;
  const length = options.length ?? (options.profile === 'diurnal' ? period : at + duration + 900);
  let points: TracePoint[];
  switch (options.profile) {
    case 'step':
      points = [
        { time: 0, qps: base },
        { time: at, qps: base },
        { time: at, qps: peak },
        { time: length, qps: peak },
      ];
      break;
    case 'ramp':
      points = [
        { time: 0, qps: base },
        { time: at, qps: base },
        { time: at + duration, qps: peak },
        { time: length, qps: peak },
      ];
      break;
    case 'spike':
      points = [
        { time: 0, qps: base },
        { time: at, qps: base },
        { time: at, qps: peak },
        { time: at + duration, qps: peak },
        { time: at + duration, qps: base },
        { time: length, qps: base },
      ];
      break;
    case 'diurnal': {
      const step = period / DIURNAL_SAMPLES;
      points = Array.from({ length: Math.floor(length / step) + 1 }, (_, i) => ({
        time: i * step,
        qps: base + ((peak - base) * (1 - Math.cos((2 * Math.PI * i * step) / period))) / 2,
      }));
      break;
    }
  }
  return validateTrace(
    points.filter((p) => p.time <= length),
    `${options.profile} profile`,
  );
}
