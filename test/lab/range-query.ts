// A range query against the lab's Prometheus (`GET /api/v1/query_range`), which the shared harness in
// test/support/prometheus.ts does not offer: the report draws per-replica QPS from it after the run.

/** One series of a range query: its labels and `[seconds since the epoch, value]` points. */
export interface RangeSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: ReadonlyArray<readonly [number, number]>;
}

/**
 * Runs `promql` from `start` to `end` (seconds since the epoch) every `step` seconds.
 * @throws Error when the API answers an error or a result that is not a matrix
 */
export async function queryRange(
  prometheusUrl: string,
  promql: string,
  start: number,
  end: number,
  step: number,
): Promise<RangeSeries[]> {
  const params = new URLSearchParams({ query: promql, start: String(start), end: String(end), step: String(step) });
  const response = await fetch(`${prometheusUrl}/api/v1/query_range?${params}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as {
    status?: string;
    error?: string;
    data?: { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
  };
  if (body.status !== 'success' || body.data === undefined) {
    throw new Error(`query_range ${promql} answered ${response.status}: ${body.error ?? 'no error text'}`);
  }
  if (body.data.resultType !== 'matrix') throw new Error(`${promql} returned a ${body.data.resultType}, not a matrix`);
  return body.data.result.map((series) => ({
    metric: series.metric,
    values: series.values.map(([t, value]) => [t, Number.parseFloat(value)] as const),
  }));
}
