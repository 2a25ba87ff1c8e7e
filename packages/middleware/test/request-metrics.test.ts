import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, test } from 'node:test';
import warmscale, {
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  type WarmscaleOptionsInput,
} from '@warmscale/middleware';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { deferred, sampleLines } from './helpers.js';

let app: FastifyInstance;

async function build(options: WarmscaleOptionsInput = {}): Promise<FastifyInstance> {
  app = Fastify();
  await app.register(warmscale, options);
  app.get('/test', async () => 'OK');
  app.get('/users/:id', async () => ({ id: 1 }));
  app.post('/users', { schema: { body: { type: 'object', required: ['name'] } } }, async () => ({ ok: true }));
  app.get('/boom', async () => {
    throw new Error('handler failed');
  });
  app.get(
    '/slow',
    { handlerTimeout: 20 },
    async () => new Promise((resolve) => setTimeout(() => resolve('late'), 200)),
  );
  return app;
}

afterEach(async () => {
  await app?.close();
});

describe('httpserver_requests_total', () => {
  beforeEach(async () => {
    await build();
  });

  test('counts each route template with the real status, never the raw URL', async () => {
    for (const url of ['/test', '/test', '/test', '/users/1', '/users/2?x=y', '/boom', '/nope', '/a/b/c?q=1']) {
      await app.inject(url);
    }
    await app.inject({ method: 'POST', url: '/users', payload: { name: 'a' } });
    await app.inject({ method: 'POST', url: '/users', payload: {} });
    await app.inject({ method: 'DELETE', url: '/test' });

    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/test",status="200"} 3',
      'httpserver_requests_total{method="GET",route="/users/:id",status="200"} 2',
      'httpserver_requests_total{method="GET",route="/boom",status="500"} 1',
      'httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 2',
      'httpserver_requests_total{method="POST",route="/users",status="200"} 1',
      'httpserver_requests_total{method="POST",route="/users",status="400"} 1',
      'httpserver_requests_total{method="DELETE",route="__unmatched__",status="404"} 1',
    ]);
  });

  test('does not count scrapes of /metrics', async () => {
    await app.inject('/metrics');
    await app.inject('/metrics');
    await app.inject('/test');
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/test",status="200"} 1',
    ]);
  });

  test('counts a handler timeout as the 503 that Fastify sends', async () => {
    const response = await app.inject('/slow');
    assert.equal(response.statusCode, 503);
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/slow",status="503"} 1',
    ]);
  });

  test('keeps one unmatched series whatever paths, methods and query strings clients send', async () => {
    for (let i = 0; i < 300; i++) await app.inject(`/scan/${i}/${Math.random()}?id=${i}`);
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 300',
    ]);
  });

  test('records the duration histogram per method and route', async () => {
    await app.inject('/test');
    await app.inject('/users/7');
    const counts = await sampleLines(app, 'httpserver_request_duration_seconds_count');
    assert.deepEqual(counts, [
      'httpserver_request_duration_seconds_count{method="GET",route="/test"} 1',
      'httpserver_request_duration_seconds_count{method="GET",route="/users/:id"} 1',
    ]);
    const buckets = await sampleLines(app, 'httpserver_request_duration_seconds_bucket');
    assert.equal(buckets.length, 2 * 12);
    assert.ok(buckets.includes('httpserver_request_duration_seconds_bucket{le="+Inf",method="GET",route="/test"} 1'));
  });

  test('serves the Prometheus text format by default and OpenMetrics when asked', async () => {
    await app.inject('/test');
    const text = await app.inject('/metrics');
    assert.equal(text.statusCode, 200);
    assert.equal(text.headers['content-type'], PROMETHEUS_CONTENT_TYPE);
    assert.ok(text.body.includes('# TYPE httpserver_requests_total counter\n'));
    assert.ok(text.body.includes('# TYPE process_cpu_user_seconds_total counter\n'), 'default process metrics');

    const open = await app.inject({
      url: '/metrics',
      headers: { accept: 'application/openmetrics-text; version=1.0.0' },
    });
    assert.equal(open.headers['content-type'], OPENMETRICS_CONTENT_TYPE);
    assert.ok(open.body.includes('# TYPE httpserver_requests counter\n'));
    assert.ok(open.body.includes('httpserver_requests_total{method="GET",route="/test",status="200"} 1\n'));
    assert.ok(open.body.endsWith('# EOF\n'));

    // prom-client renames counters in place for OpenMetrics; the text format must not change after such a scrape.
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/test",status="200"} 1',
    ]);
  });
});

describe("the request families' own formatting", () => {
  /** What prom-client's registry prints for the same family, from `get()`. */
  async function promClientFormatting(name: string, openMetrics: boolean): Promise<string> {
    const registry = new Registry();
    if (openMetrics) registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    const family = app.warmscale.registry.getSingleMetric(name);
    assert.ok(family !== undefined, name);
    // A view, so prom-client's in-place OpenMetrics rename of counters leaves the family itself alone.
    registry.registerMetric(Object.create(family, { name: { value: name, writable: true } }) as typeof family);
    return (await registry.metrics()).replace(/\n(# EOF\n)?$/, '');
  }

  /** One family's block of the `/metrics` body, from its HELP line to the blank line or the next HELP line. */
  async function servedBlock(help: string, openMetrics: boolean): Promise<string> {
    const headers: Record<string, string> = openMetrics ? { accept: 'application/openmetrics-text' } : {};
    const body = (await app.inject({ url: '/metrics', headers })).body;
    const start = body.indexOf(`# HELP ${help} `);
    assert.ok(start >= 0, help);
    const end = body.slice(start + 1).search(/\n(\n|# HELP )/);
    return body.slice(start, start + 1 + end);
  }

  beforeEach(async () => {
    await build();
    app.get('/quote/"x"\\y', async () => 'escaped');
    for (const url of ['/test', '/users/1', '/boom', '/nope', '/quote/%22x%22%5Cy', '/test']) await app.inject(url);
    await app.inject({ method: 'POST', url: '/users', payload: {} });
    await app.inject({ method: 'DELETE', url: '/test' });
  });

  test('prints the counter exactly as prom-client would, in both formats', async () => {
    for (const openMetrics of [false, true]) {
      const family = openMetrics ? 'httpserver_requests' : 'httpserver_requests_total';
      assert.equal(
        await servedBlock(family, openMetrics),
        await promClientFormatting('httpserver_requests_total', openMetrics),
      );
    }
    assert.ok(
      (await servedBlock('httpserver_requests_total', false)).includes(
        'httpserver_requests_total{method="GET",route="/quote/\\"x\\"\\\\y",status="200"} 1',
      ),
    );
  });

  test('prints the histogram exactly as prom-client would, in both formats', async () => {
    for (const openMetrics of [false, true]) {
      assert.equal(
        await servedBlock('httpserver_request_duration_seconds', openMetrics),
        await promClientFormatting('httpserver_request_duration_seconds', openMetrics),
      );
    }
  });

  test('a registry with default labels prints them on every request series too', async () => {
    app.warmscale.registry.setDefaultLabels({ pod: 'demo-0' });
    assert.deepEqual((await sampleLines(app, 'httpserver_requests_total')).slice(0, 2), [
      'httpserver_requests_total{method="GET",route="/test",status="200",pod="demo-0"} 2',
      'httpserver_requests_total{method="GET",route="/users/:id",status="200",pod="demo-0"} 1',
    ]);
    assert.deepEqual(await sampleLines(app, 'httpserver_request_duration_seconds_count'), [
      'httpserver_request_duration_seconds_count{method="GET",route="/test",pod="demo-0"} 2',
      'httpserver_request_duration_seconds_count{method="GET",route="/users/:id",pod="demo-0"} 1',
      'httpserver_request_duration_seconds_count{method="GET",route="/boom",pod="demo-0"} 1',
      'httpserver_request_duration_seconds_count{method="GET",route="__unmatched__",pod="demo-0"} 1',
      'httpserver_request_duration_seconds_count{method="GET",route="/quote/\\"x\\"\\\\y",pod="demo-0"} 1',
      'httpserver_request_duration_seconds_count{method="POST",route="/users",pod="demo-0"} 1',
      'httpserver_request_duration_seconds_count{method="DELETE",route="__unmatched__",pod="demo-0"} 1',
    ]);
  });

  test('registry.resetMetrics() empties both families, back to the zero series of a pod that has counted nothing', async () => {
    app.warmscale.registry.resetMetrics();
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 0',
    ]);
    assert.deepEqual(await sampleLines(app, 'httpserver_request_duration_seconds_count'), []);
    await app.inject('/test');
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/test",status="200"} 1',
    ]);
  });
});

describe('request metrics options', () => {
  test('requestsTotalName, unmatchedRoute and excludeRoutes shape the series', async () => {
    await build({
      metrics: { requestsTotalName: 'api_requests_total', unmatchedRoute: 'other', excludeRoutes: ['/users/:id'] },
    });
    await app.inject('/test');
    await app.inject('/users/3');
    await app.inject('/missing');
    assert.deepEqual(await sampleLines(app, 'api_requests_total'), [
      'api_requests_total{method="GET",route="/test",status="200"} 1',
      'api_requests_total{method="GET",route="other",status="404"} 1',
    ]);
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), []);
  });

  test('countInternal counts the metrics endpoint too', async () => {
    await build({ metrics: { countInternal: true } });
    await app.inject('/metrics');
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/metrics",status="200"} 1',
    ]);
  });

  test('durationBuckets false and defaultMetrics false leave the counter and the lifecycle metrics', async () => {
    await build({ metrics: { durationBuckets: false, defaultMetrics: false } });
    await app.inject('/test');
    const body = (await app.inject('/metrics')).body;
    assert.deepEqual(
      body.split('\n').filter((line) => line.startsWith('# TYPE')),
      [
        '# TYPE warmscale_lifecycle_state gauge',
        '# TYPE httpserver_requests_total counter',
        '# TYPE warmscale_shutdown_requests_total counter',
        '# TYPE warmscale_admission_rejected_total counter',
        '# TYPE warmscale_requests_in_flight gauge',
        '# TYPE warmscale_warmup_steps_total counter',
        '# TYPE warmscale_warmup_duration_seconds gauge',
      ],
    );
  });

  test('path moves the metrics endpoint', async () => {
    await build({ metrics: { path: '/internal/metrics' } });
    assert.equal((await app.inject('/metrics')).statusCode, 404);
    const moved = await app.inject('/internal/metrics');
    assert.equal(moved.statusCode, 200);
    assert.ok(moved.body.includes('httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 1\n'));
  });

  test('registering the plugin twice on one instance fails clearly', async () => {
    app = Fastify();
    await assert.rejects(
      async () => {
        await app.register(warmscale);
        await app.register(warmscale);
        await app.ready();
      },
      { message: '@warmscale/middleware is already registered on this Fastify instance' },
    );
  });
});

describe('aborted requests', () => {
  test('a client that disconnects before the response is counted with status 499, once', async () => {
    await build();
    const handled = deferred();
    const aborted = deferred();
    const release = deferred();
    const replied = deferred();
    app.get(
      '/hang',
      {
        onRequestAbort: async () => aborted.resolve(),
        onSend: async () => replied.resolve(),
      },
      async () => {
        handled.resolve();
        await release.promise;
        return 'too late';
      },
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    const client = httpRequest({ host: '127.0.0.1', port: address.port, path: '/hang' });
    client.on('error', () => {});
    client.end();
    await handled.promise;
    client.destroy();
    await aborted.promise;
    release.resolve();
    await replied.promise;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await sampleLines(app, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/hang",status="499"} 1',
    ]);
  });
});
