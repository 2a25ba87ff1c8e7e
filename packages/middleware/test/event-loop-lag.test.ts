import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import warmscale from '@warmscale/middleware';
import Fastify, { type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
});

/** `# HELP` and `# TYPE` lines of a body, sorted, so sets of families compare regardless of their order. */
function familyLines(body: string, prefix: string): string[] {
  return body
    .split('\n')
    .filter((line) => line.startsWith(`# HELP ${prefix}`) || line.startsWith(`# TYPE ${prefix}`))
    .sort();
}

test("the default metrics are prom-client's set, names, help and types, with the event-loop lag gauges swapped", async () => {
  const reference = new Registry();
  collectDefaultMetrics({ register: reference });
  app = Fastify();
  await app.register(warmscale);
  const body = (await app.inject('/metrics')).body;
  for (const prefix of ['process_', 'nodejs_']) {
    assert.deepEqual(familyLines(body, prefix), familyLines(await reference.metrics(), prefix));
  }
});

test('the event-loop lag gauges report ordered figures of the delays since the last scrape', async () => {
  app = Fastify();
  await app.register(warmscale);
  await sleep(120);
  const body = (await app.inject('/metrics')).body;
  const value = (name: string): number => {
    const line = body.split('\n').find((candidate) => candidate.startsWith(`nodejs_eventloop_lag_${name}seconds `));
    assert.ok(line !== undefined, name);
    return Number(line.split(' ')[1]);
  };
  const [min, p50, p90, p99, max] = ['min_', 'p50_', 'p90_', 'p99_', 'max_'].map(value) as number[];
  assert.ok((min as number) > 0 && (min as number) <= (p50 as number), `min ${min} p50 ${p50}`);
  assert.ok(
    (p50 as number) <= (p90 as number) && (p90 as number) <= (p99 as number),
    `p50 ${p50} p90 ${p90} p99 ${p99}`,
  );
  assert.ok((p99 as number) <= (max as number), `p99 ${p99} max ${max}`);
  assert.ok(value('mean_') > 0, 'mean');
  assert.ok(value('stddev_') >= 0, 'stddev');
});
