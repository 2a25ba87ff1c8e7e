import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { CounterSeries } from './request-table.js';

/** Where `@opentelemetry/api` 1.x keeps what SDKs register (`internal/global-utils`). */
const OPENTELEMETRY_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/**
 * Makes the active OpenTelemetry span of the current async context the exemplar of a counter series (its
 * `trace_id`/`span_id` labels use 57 of the 128 characters OpenMetrics allows). Read through `@opentelemetry/api`
 * only: without an SDK the API is a no-op and this returns cheaply. A request outside a span keeps the previous
 * exemplar, as prom-client does.
 */
export function recordTraceExemplar(series: CounterSeries): void {
  // Until an SDK registers something with the API (a context manager, a tracer provider), there is no active span:
  // the API keeps its registrations under this global, one per major version, shared by every copy of the package.
  if ((globalThis as Record<symbol, unknown>)[OPENTELEMETRY_API_GLOBAL] === undefined) return;
  const context = trace.getActiveSpan()?.spanContext();
  if (context === undefined || !isSpanContextValid(context)) return;
  series.traceId = context.traceId;
  series.spanId = context.spanId;
  series.exemplarAt = Date.now() / 1000;
}
