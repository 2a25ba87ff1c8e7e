import { createServer } from 'node:http';
import { context, ROOT_CONTEXT, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { FastifyServerFactory } from 'fastify';

/** Installs an async-context manager and returns a tracer whose spans are sampled and recorded, never exported. */
export function installTracing(): Tracer {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return new BasicTracerProvider().getTracer('warmscale-bench');
}

/**
 * A server factory that runs each request inside an active, sampled server span, the way
 * `@opentelemetry/instrumentation-http` does, so the middleware finds a span to take its exemplar from. Spans are
 * recorded but not exported: exporting is the tracing pipeline's cost, not the middleware's.
 */
export function tracedServerFactory(): FastifyServerFactory {
  const tracer = installTracing();
  return (handler) =>
    createServer(function tracedRequest(req, res) {
      const span = tracer.startSpan(req.method ?? 'GET', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
      res.once('finish', () => span.end());
      context.with(trace.setSpan(ROOT_CONTEXT, span), handler, undefined, req, res);
    });
}
