import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { CounterSeries } from './request-table.js';

/**
 * Makes the active OpenTelemetry span of the current async context the exemplar of a counter series (its
 * `trace_id`/`span_id` labels use 57 of the 128 characters OpenMetrics allows). Read through `@opentelemetry/api`
 * only: without an SDK the API is a no-op and this returns cheaply. A request outside a span keeps the previous
 * exemplar, as prom-client does.
 */
export function recordTraceExemplar(series: CounterSeries): void {
  const context = trace.getActiveSpan()?.spanContext();
  if (context === undefined || !isSpanContextValid(context)) return;
  series.traceId = context.traceId;
  series.spanId = context.spanId;
  series.exemplarAt = Date.now() / 1000;
}
