import { isSpanContextValid, trace } from '@opentelemetry/api';

/** Exemplar labels of the counter: OpenMetrics allows at most 128 characters of labels, these use 57. */
export interface TraceExemplar {
  readonly trace_id: string;
  readonly span_id: string;
}

/**
 * The active OpenTelemetry span of the current async context, as exemplar labels, or undefined.
 * Read through `@opentelemetry/api` only: without an SDK the API is a no-op and this returns undefined cheaply.
 */
export function activeTraceExemplar(): TraceExemplar | undefined {
  const span = trace.getActiveSpan();
  if (span === undefined) return undefined;
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return undefined;
  return { trace_id: context.traceId, span_id: context.spanId };
}
