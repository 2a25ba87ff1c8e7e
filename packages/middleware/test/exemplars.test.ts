import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import warmscale from '@warmscale/middleware';
import Fastify, { type FastifyInstance } from 'fastify';
import { sampleLines } from './helpers.js';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';
const contextManager = new AsyncLocalStorageContextManager();
let app: FastifyInstance;

before(async () => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider());
  app = Fastify();
  await app.register(warmscale);
  app.get('/traced', async () => 'OK');
});

after(async () => {
  await app.close();
  trace.disable();
  context.disable();
});

test('a request inside an active span carries its trace and span id as the exemplar in OpenMetrics', async () => {
  const tracer = trace.getTracer('exemplar-test');
  const spanContext = await tracer.startActiveSpan('client', async (span) => {
    await app.inject('/traced');
    span.end();
    return span.spanContext();
  });

  const [line] = await sampleLines(app, 'httpserver_requests_total', OPENMETRICS);
  assert.match(line ?? '', /^httpserver_requests_total\{method="GET",route="\/traced",status="200"\} 1 # \{/);
  const exemplar = /# \{trace_id="([0-9a-f]{32})",span_id="([0-9a-f]{16})"\} 1 (\d+(\.\d+)?)$/.exec(line ?? '');
  assert.ok(exemplar, `no exemplar in ${line}`);
  assert.equal(exemplar[1], spanContext.traceId);
  assert.equal(exemplar[2], spanContext.spanId);
});

test('a request without a span keeps the last exemplar and the text format shows none', async () => {
  await app.inject('/traced');
  const [open] = await sampleLines(app, 'httpserver_requests_total', OPENMETRICS);
  assert.match(open ?? '', /\} 2 # \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}"\} 1 /);
  assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
    'httpserver_requests_total{method="GET",route="/traced",status="200"} 2',
  ]);
});
