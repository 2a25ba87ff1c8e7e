import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { type RequestRecord, startLoadGenerator } from './load.js';
import { isShed, nextStep, pauseAfter, RECONNECT_PAUSE_MS, retryAfterSeconds, shedReason } from './load-generator.js';
import { clientsDue, peakPhase, spikeProfile } from './profile.js';
import { secondStats, summarize } from './timeline.js';

const POLICY = { maxRetries: 3, maxRetryAfterSeconds: 10 };
const SHED_BODY = JSON.stringify({ error: 'Service Unavailable', reason: 'concurrency', message: 'retry' });

/**
 * A server that sheds its first `shedFirst` requests as the middleware does (503, `Retry-After: 0`, `Connection:
 * close`, a JSON reason), then answers 200 after `serveMs`; it counts what it answered and the most requests it held
 * at once.
 */
async function sheddingServer(
  shedFirst: number,
  serveMs: number,
): Promise<{ server: Server; url: string; counts: { shed: number; served: number; maxInFlight: number } }> {
  const counts = { shed: 0, served: 0, maxInFlight: 0 };
  let inFlight = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    if (counts.shed < shedFirst) {
      counts.shed++;
      response.shouldKeepAlive = false;
      response.writeHead(503, { 'retry-after': '0', 'content-type': 'application/json' });
      response.end(SHED_BODY);
      return;
    }
    inFlight++;
    counts.maxInFlight = Math.max(counts.maxInFlight, inFlight);
    setTimeout(() => {
      inFlight--;
      counts.served++;
      response.end('ok');
    }, serveMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, counts };
}

/** Runs a closed-loop phase of `clients` clients for `seconds` against `url`; resolves with every record. */
async function closedLoop(
  url: string,
  clients: number,
  seconds: number,
): Promise<{ records: RequestRecord[]; sent: number; started: number }> {
  const records: RequestRecord[] = [];
  const generator = startLoadGenerator(
    {
      url,
      profile: [{ name: 'spike', seconds, rps: 0, clients }],
      connections: 1,
      freshShare: 0,
      timeoutMs: 5_000,
      startAt: Date.now() + 200,
      seed: 1,
      path: '/work?ms=20',
      retry: POLICY,
    },
    (batch) => records.push(...batch),
  );
  const totals = await generator.done;
  return { records, sent: totals.sent, started: totals.clients };
}

describe('closed-loop clients', () => {
  test('retryAfterSeconds reads delay-seconds and HTTP dates of a 503, capped, and nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.deepEqual(
      [
        retryAfterSeconds(503, '1', 10, now),
        retryAfterSeconds(503, ' 0 ', 10, now),
        retryAfterSeconds(503, '120', 10, now),
        retryAfterSeconds(503, 'Thu, 01 Jan 2026 00:00:03 GMT', 10, now),
        retryAfterSeconds(503, 'Wed, 31 Dec 2025 23:59:00 GMT', 10, now),
        retryAfterSeconds(503, 'soon', 10, now),
        retryAfterSeconds(503, undefined, 10, now),
        retryAfterSeconds(429, '1', 10, now),
      ],
      [1, 0, 10, 3, 0, undefined, undefined, undefined],
    );
    assert.deepEqual(
      [isShed(503, '1'), isShed(503, undefined), isShed(200, '1'), isShed('ECONNRESET', '1')],
      [true, false, false, false],
    );
    assert.equal(shedReason(SHED_BODY), 'concurrency');
    assert.equal(shedReason('Service Unavailable'), '');
  });

  test('nextStep retries a shed answer after its Retry-After, at most maxRetries times, and nothing else', () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((attempt) => nextStep(503, '2', attempt, POLICY)),
      [{ retry: true, waitMs: 2000 }, { retry: true, waitMs: 2000 }, { retry: true, waitMs: 2000 }, { retry: false }],
    );
    assert.deepEqual(nextStep(503, '3600', 0, POLICY), { retry: true, waitMs: 10_000 });
    assert.deepEqual(
      [nextStep(503, undefined, 0, POLICY), nextStep(500, '1', 0, POLICY), nextStep('timeout', '1', 0, POLICY)],
      [{ retry: false }, { retry: false }, { retry: false }],
    );
    assert.deepEqual(
      [pauseAfter(200), pauseAfter(503), pauseAfter('timeout'), pauseAfter('ECONNRESET'), pauseAfter('ECONNREFUSED')],
      [0, 0, 0, RECONNECT_PAUSE_MS, RECONNECT_PAUSE_MS],
    );
  });

  test('spikeProfile puts its clients in the middle phase, which is the peak', () => {
    const profile = spikeProfile({
      idleSeconds: 10,
      spikeSeconds: 20,
      tailSeconds: 5,
      idleRps: 5,
      clients: 50,
      lowRps: 15,
    });
    assert.deepEqual(
      [0, 9.9, 10, 29.9, 30, 35].map((t) => clientsDue(profile, t)),
      [0, 0, 50, 50, 0, 0],
    );
    assert.equal(peakPhase(profile)?.name, 'spike');
  });

  test('a client retries each shed answer after Retry-After, gives up after 3 retries, and every answer is recorded once', {
    timeout: 30_000,
  }, async () => {
    // The first 5 answers are shed: the first request's 4 attempts (given up), then the second request's first.
    const { server, url, counts } = await sheddingServer(5, 10);
    try {
      const { records, sent, started } = await closedLoop(url, 1, 1);
      const shedMarks = records.map(([, , outcome, , shed]) => (shed === undefined ? outcome : shed));
      const retried = { reason: 'concurrency', retried: true };
      const gaveUp = { reason: 'concurrency', retried: false };
      assert.deepEqual(shedMarks.slice(0, 7), [retried, retried, retried, gaveUp, retried, 200, 200]);
      assert.deepEqual(
        shedMarks.slice(5).filter((mark) => mark !== 200),
        [],
      );
      assert.equal(started, 1);
      assert.equal(records.length, sent);
      assert.equal(counts.shed, 5);
      assert.equal(records.filter(([, , outcome]) => outcome === 200).length, counts.served);
      // The requests the lab counts: 5 shed answers, 4 of them retried; 1 failed request (the given-up 503).
      const seconds = secondStats(records, 10);
      assert.equal(
        seconds.reduce((sum, second) => sum + second.shed, 0),
        5,
      );
      assert.equal(
        seconds.reduce((sum, second) => sum + second.shedRetried, 0),
        4,
      );
      const summary = summarize({
        records,
        events: [],
        traffic: new Map(),
        seconds,
        replicas: [],
        ticks: [],
        podQps: {},
        peak: undefined,
        servedAtPeakEnd: null,
      });
      assert.deepEqual(
        { shed: summary.shed, shedRetried: summary.shedRetried, failed: summary.failed, failures: summary.failures },
        { shed: { concurrency: 5 }, shedRetried: 4, failed: 1, failures: { 503: 1 } },
      );
    } finally {
      server.close();
    }
  });

  test('N closed-loop clients keep at most N requests in flight, each sending the next when the last returns', {
    timeout: 30_000,
  }, async () => {
    const { server, url, counts } = await sheddingServer(0, 50);
    try {
      const { records, started } = await closedLoop(url, 3, 1);
      assert.equal(started, 3);
      assert.equal(counts.maxInFlight, 3);
      assert.equal(records.length, counts.served);
      assert.deepEqual(new Set(records.map(([, , outcome]) => outcome)), new Set([200]));
    } finally {
      server.close();
    }
  });
});
