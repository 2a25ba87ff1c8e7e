/** Median with the range it came from: the shape every figure of the report takes. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function sorted(values: readonly number[]): number[] {
  if (values.length === 0) throw new Error('no values to summarize');
  return [...values].sort((a, b) => a - b);
}

/** Nearest-rank percentile (`p` from 0 to 100): always a value that was actually observed. */
export function percentile(values: readonly number[], p: number): number {
  const ordered = sorted(values);
  const rank = Math.min(ordered.length, Math.max(1, Math.ceil((p / 100) * ordered.length)));
  return ordered[rank - 1] as number;
}

export function median(values: readonly number[]): number {
  const ordered = sorted(values);
  const middle = ordered.length >> 1;
  return ordered.length % 2 === 1
    ? (ordered[middle] as number)
    : ((ordered[middle - 1] as number) + (ordered[middle] as number)) / 2;
}

export function spread(values: readonly number[]): Spread {
  const ordered = sorted(values);
  return { median: median(ordered), min: ordered[0] as number, max: ordered[ordered.length - 1] as number };
}
