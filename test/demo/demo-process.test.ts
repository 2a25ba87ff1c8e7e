import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type DemoProcess, startDemo, waitForLog } from '../support/demo-process.js';
import { get, pool, samples } from '../support/http.js';

describe('the demo service as a real process', () => {
  let demo: DemoProcess;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });

  before(async () => {
    demo = await startDemo({ WARMSCALE_WARMUP_ENABLED: 'false' });
  });

  after(async () => {
    agent.destroy();
    await demo?.stop();
  });

  test('answers its routes with the documented statuses and bodies', async () => {
    assert.deepEqual(await get(`${demo.url}/test`, agent).then((r) => [r.status, r.body]), [200, 'OK']);
    assert.deepEqual(await get(`${demo.url}/hello`, agent).then((r) => [r.status, r.body]), [200, 'hello']);
    assert.deepEqual(await get(`${demo.url}/work?ms=5`, agent).then((r) => [r.status, r.body]), [200, '{"worked":5}']);
    for (const bad of ['', '?ms=0', '?ms=1001', '?ms=abc', '?ms=2.5']) {
      const response = await get(`${demo.url}/work${bad}`, agent);
      assert.equal(response.status, 400, `/work${bad}`);
      assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal((JSON.parse(response.body) as { statusCode: number }).statusCode, 400);
    }
    assert.equal((await get(`${demo.url}/nowhere`, agent)).status, 404);
  });

  test('counts requests sent over keep-alive exactly, and excludes the scrapes', async () => {
    await pool(120, 8, async () => {
      assert.equal((await get(`${demo.url}/hello`, agent)).status, 200);
    });
    await pool(30, 4, async (i) => {
      assert.equal((await get(`${demo.url}/work?ms=${1 + (i % 3)}`, agent)).status, 200);
    });
    await get(`${demo.url}/metrics`, agent);
    const exposition = (await get(`${demo.url}/metrics`, agent)).body;
    assert.deepEqual(samples(exposition, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/test",status="200"} 1',
      'httpserver_requests_total{method="GET",route="/hello",status="200"} 121',
      'httpserver_requests_total{method="GET",route="/work",status="200"} 31',
      'httpserver_requests_total{method="GET",route="/work",status="400"} 5',
      'httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 1',
    ]);
  });

  test('5,000 requests to distinct random unknown paths add no series beyond the one unmatched series', async () => {
    const before = samples((await get(`${demo.url}/metrics`, agent)).body, 'httpserver_requests_total');
    await pool(5000, 16, async (i) => {
      const path = `/scan-${i}-${Math.random().toString(36).slice(2)}/${i}?token=${i}`;
      assert.equal((await get(`${demo.url}${path}`, agent)).status, 404);
    });
    const after = samples((await get(`${demo.url}/metrics`, agent)).body, 'httpserver_requests_total');
    assert.equal(after.length, before.length);
    assert.ok(after.includes('httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 5001'));
  });
  test('regression: /work accepted non-finite ms (Infinity, 1e309, 400 digits) and burnt a CPU forever; now 400', async () => {
    for (const bad of ['Infinity', '1e309', '-1e309', '9'.repeat(400), 'NaN']) {
      const response = await get(`${demo.url}/work?ms=${bad}`, agent);
      assert.deepEqual(
        [response.status, response.headers['content-type']],
        [400, 'application/json; charset=utf-8'],
        bad,
      );
    }
  });

  test('regression: /work kept burning CPU after its client left; now the work stops', async () => {
    const abandoned = request(`${demo.url}/work?ms=1000`);
    abandoned.on('error', () => {});
    abandoned.end();
    // Sent after the abandoned request, on a connection of its own: once it is answered, the slow one is in the handler.
    assert.equal((await get(`${demo.url}/hello`)).status, 200);
    abandoned.destroy();
    const stopped = await waitForLog(demo, (line) => line.msg === 'work stopped: the client left');
    assert.equal(stopped.requestedMs, 1000);
    assert.ok((stopped.workedMs as number) < 1000, `worked ${String(stopped.workedMs)} ms`);
  });
});
