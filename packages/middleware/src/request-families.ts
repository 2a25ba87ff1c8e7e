import type { CounterSeries, RequestTable } from './request-table.js';

/** One sample of a family, as prom-client's `metric.get()` returns it. */
export interface FamilySample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
  readonly exemplar?: {
    readonly labelSet: Readonly<Record<string, string>>;
    readonly value: number;
    readonly timestamp: number;
  };
}

/** A family as prom-client's `metric.get()` returns it, so its registry, merge and cluster aggregation read it. */
export interface FamilySnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: FamilySample[];
}

/**
 * A metric family registered in a prom-client registry that also formats itself from cached line prefixes: prom-client
 * formats every line from its label object on every scrape (~2 µs a line; a route's histogram is 14 lines).
 */
export interface SelfFormattingFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<FamilySnapshot>;
  reset(): void;
  /** The family in the text format, or in OpenMetrics, byte for byte as prom-client's registry would print it. */
  expose(openMetrics: boolean): string;
}

export function isSelfFormatting(metric: object): metric is SelfFormattingFamily {
  return typeof (metric as Partial<SelfFormattingFamily>).expose === 'function';
}

/** `httpserver_requests_total{method,route,status}`, read from the table. */
export class RequestCounterFamily implements SelfFormattingFamily {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  /** Prometheus text `# HELP`/`# TYPE` lines; OpenMetrics names the family without `_total`. */
  private readonly textHeader: string;
  private readonly openMetricsHeader: string;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly table: RequestTable,
  ) {
    const familyName = name.replace(/_total$/, '');
    this.textHeader = `# HELP ${name} ${help}\n# TYPE ${name} counter`;
    this.openMetricsHeader = `# HELP ${familyName} ${help}\n# TYPE ${familyName} counter`;
  }

  async get(): Promise<FamilySnapshot> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.table.exported().map((series) => ({
        value: series.value,
        labels: series.labels,
        ...(series.traceId === undefined
          ? {}
          : {
              exemplar: {
                labelSet: { trace_id: series.traceId, span_id: series.spanId as string },
                value: 1,
                timestamp: series.exemplarAt,
              },
            }),
      })),
    };
  }

  reset(): void {
    this.table.reset();
  }

  expose(openMetrics: boolean): string {
    let text = openMetrics ? this.openMetricsHeader : this.textHeader;
    const prefix = `\n${this.name}`;
    for (const series of this.table.exported()) {
      text += `${prefix}${series.labelText} ${series.value}`;
      if (openMetrics && series.traceId !== undefined) text += exemplarText(series);
    }
    return text;
  }
}

/** The OpenMetrics exemplar of a counter line: the latest traced request, which counted 1. */
function exemplarText(series: CounterSeries): string {
  return ` # {trace_id="${series.traceId}",span_id="${series.spanId}"} 1 ${series.exemplarAt}`;
}

/** `httpserver_request_duration_seconds{method,route}`, read from the table. */
export class DurationHistogramFamily implements SelfFormattingFamily {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly header: string;
  /** `le="0.005",` … `le="+Inf",`: the first label of each bucket line, as prom-client orders them. */
  private readonly bucketLabels: readonly string[];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly table: RequestTable,
  ) {
    this.header = `# HELP ${name} ${help}\n# TYPE ${name} histogram`;
    this.bucketLabels = [...table.upperBounds.map(String), '+Inf'].map((bound) => `le="${bound}",`);
  }

  async get(): Promise<FamilySnapshot> {
    const values: FamilySample[] = [];
    const bounds: readonly (number | string)[] = [...this.table.upperBounds, '+Inf'];
    for (const series of this.table.histogramSeries) {
      let cumulative = 0;
      series.buckets.forEach((count, bucket) => {
        cumulative += count;
        values.push({
          value: cumulative,
          labels: { le: bounds[bucket] as number | string, ...series.labels },
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({ value: series.sum, labels: series.labels, metricName: `${this.name}_sum` });
      values.push({ value: series.count, labels: series.labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.table.reset();
  }

  expose(): string {
    let text = this.header;
    const bucket = `\n${this.name}_bucket{`;
    const sum = `\n${this.name}_sum{`;
    const count = `\n${this.name}_count{`;
    const bucketLabels = this.bucketLabels;
    for (const series of this.table.histogramSeries) {
      const labels = `${series.labelText}} `;
      let cumulative = 0;
      for (let index = 0; index < bucketLabels.length; index++) {
        cumulative += series.buckets[index] as number;
        text += `${bucket}${bucketLabels[index]}${labels}${cumulative}`;
      }
      text += `${sum}${labels}${series.sum}${count}${labels}${series.count}`;
    }
    return text;
  }
}
