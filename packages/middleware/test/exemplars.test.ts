import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { context, type SpanContext, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import warmscale from '@warmscale/middleware';
import Fastify, { type FastifyInstance } from 'fastify';
import { sampleLines } from './helpers.js';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';
const contextManager = new AsyncLocalStorageContextManager();
let app: FastifyInstance;

before(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider());
});

after(() => {
  trace.disable();
  context.disable();
});

beforeEach(async () => {
  app = Fastify();
  await app.register(warmscale, { env: {} });
  app.get('/traced', async () => 'OK');
});

afterEach(async () => {
  await app.close();
});

/** Sends one request to `/traced` inside a new active span; resolves with the span's context. */
function tracedRequest(): Promise<SpanContext> {
  return trace.getTracer('exemplar-test').startActiveSpan('client', async (span) => {
    await app.inject('/traced');
    span.end();
    return span.spanContext();
  });
}

test('a request inside an active span carries its trace and span id as the exemplar in OpenMetrics', async (t) => {
  t.mock.method(Date, 'now', () => 1_700_000_000_250);
  const span = await tracedRequest();
  assert.deepEqual(await sampleLines(app, 'httpserver_requests_total', OPENMETRICS), [
    `httpserver_requests_total{method="GET",route="/traced",status="200"} 1 # {trace_id="${span.traceId}",span_id="${span.spanId}"} 1 1700000000.25`,
  ]);
});

test('a request without a span keeps the last traced request as the exemplar and the text format shows none', async (t) => {
  let now = 1_700_000_000_000;
  t.mock.method(Date, 'now', () => now);
  const earlier = await tracedRequest();
  now += 1000;
  const last = await tracedRequest();
  assert.notEqual(last.spanId, earlier.spanId);
  now += 1000;
  await app.inject('/traced');
  assert.deepEqual(await sampleLines(app, 'httpserver_requests_total', OPENMETRICS), [
    `httpserver_requests_total{method="GET",route="/traced",status="200"} 3 # {trace_id="${last.traceId}",span_id="${last.spanId}"} 1 1700000001`,
  ]);
  assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
    'httpserver_requests_total{method="GET",route="/traced",status="200"} 3',
  ]);
});
