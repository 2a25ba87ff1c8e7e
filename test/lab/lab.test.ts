import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type Balancer, startBalancer } from './balancer.js';
import { runLab } from './lab.js';
import type { RequestRecord } from './load.js';
import { requestsDue, stepProfile } from './profile.js';
import { formatJson, writeReport } from './report.js';
import { loadSettings, SPIKE_VALUES, safeguardOverrides } from './settings.js';
import { attribute, perPodTraffic, quantile, secondStats } from './timeline.js';

/** A TCP server that answers every connection with its name and closes it. */
async function namedServer(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { server, port: address.port };
}

/** Opens a connection through the balancer and resolves with what the endpoint wrote, or the error code. */
function connectOnce(balancer: Balancer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(balancer.port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.once('end', () => resolve(data));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('lab building blocks', () => {
  test('the balancer picks an endpoint per connection, round-robin, and resets connections when it has none', async () => {
    const a = await namedServer('a');
    const b = await namedServer('b');
    const balancer = await startBalancer();
    try {
      assert.equal(await connectOnce(balancer), 'ECONNRESET');
      balancer.setEndpoints([
        { name: 'a', port: a.port },
        { name: 'b', port: b.port },
      ]);
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await connectOnce(balancer));
      assert.deepEqual(answers.sort(), ['a', 'a', 'b', 'b']);
      balancer.setEndpoints([{ name: 'a', port: a.port }]);
      assert.equal(await connectOnce(balancer), 'a');
      assert.deepEqual(
        [...balancer.connections()].map(([name, counts]) => [name, counts.opened, counts.refused]).sort(),
        [
          ['a', 3, 0],
          ['b', 2, 0],
        ],
      );
      assert.equal(balancer.unrouted, 1);
    } finally {
      await balancer.close();
      a.server.close();
      b.server.close();
    }
  });

  test('the balancer keeps an open connection on an endpoint removed from the list, as kube-proxy does', async () => {
    const echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const port = (echo.address() as { port: number }).port;
    const balancer = await startBalancer();
    try {
      balancer.setEndpoints([{ name: 'echo', port }]);
      const socket = connect(balancer.port, '127.0.0.1');
      socket.setEncoding('utf8');
      const read = (): Promise<string> => new Promise((resolve) => socket.once('data', resolve));
      socket.write('one');
      assert.equal(await read(), 'one');
      balancer.setEndpoints([]);
      socket.write('two');
      assert.equal(await read(), 'two');
      socket.destroy();
    } finally {
      await balancer.close();
      echo.close();
    }
  });

  test('a refused endpoint reaches the client as a reset and is counted as refused', async () => {
    const gone = await namedServer('gone');
    await new Promise((resolve) => gone.server.close(resolve));
    const balancer = await startBalancer();
    try {
      balancer.setEndpoints([{ name: 'gone', port: gone.port }]);
      assert.equal(await connectOnce(balancer), 'ECONNRESET');
      assert.equal(balancer.connections().get('gone')?.refused, 1);
    } finally {
      await balancer.close();
    }
  });

  test('requestsDue integrates the profile, so pacing never drifts across phase changes', () => {
    const profile = stepProfile({
      idleSeconds: 10,
      plateauSeconds: 20,
      tailSeconds: 30,
      idleRps: 5,
      peakRps: 75,
      lowRps: 15,
    });
    assert.deepEqual(
      [0, 1, 10, 10.5, 30, 31, 60, 61].map((t) => requestsDue(profile, t)),
      [0, 5, 50, 87, 1550, 1565, 2000, 2000],
    );
  });

  test('secondStats buckets requests by send time, counts failures and shed answers, and takes nearest-rank percentiles', () => {
    const stats = secondStats(
      [
        [100, 5, 200, 40001],
        [200, 7, 200, 40001],
        [900, 9, 503, 40002],
        [1500, 2, 'ECONNRESET', 0],
        [1600, 1, 503, 40003, { reason: 'concurrency', retried: true }],
        [1700, 1, 503, 40004, { reason: 'event_loop', retried: false }],
        [2999, 4, 200, 40001],
      ],
      3,
    );
    // Shed answers count as sent and shed, not in latency; one not retried is the request's failure.
    assert.deepEqual(stats, [
      { t: 0, sent: 3, failed: 1, shed: 0, shedRetried: 0, p50: 7, p99: 9, max: 9 },
      { t: 1, sent: 3, failed: 2, shed: 2, shedRetried: 1, p50: 2, p99: 2, max: 2 },
      { t: 2, sent: 1, failed: 0, shed: 0, shedRetried: 0, p50: 4, p99: 4, max: 4 },
    ]);
    assert.equal(quantile([], 0.99), null);
  });

  test('attribute finds the replica of each request from the route of its connection, reused ports included', () => {
    const records: RequestRecord[] = [
      [1_000, 5, 200, 40001],
      [1_500, 6, 200, 40001],
      [2_000, 7, 200, 40002],
      [9_000, 8, 200, 40001],
      [9_500, 9, 'ECONNRESET', 0],
      [19_500, 3, 200, 40001],
    ];
    const routes = [
      { port: 40001, at: 1_003, endpoint: 'pod-a' },
      { port: 40002, at: 1_990, endpoint: 'pod-b' },
      { port: 40001, at: 8_000, endpoint: 'pod-c' },
    ];
    const pods = attribute(records, routes);
    assert.deepEqual(pods, ['pod-a', 'pod-a', 'pod-b', 'pod-c', null, 'pod-c']);
    assert.deepEqual(
      [...perPodTraffic(records, pods)],
      [
        ['pod-a', { requests: 2, firstTraffic: [5, 6] }],
        ['pod-b', { requests: 1, firstTraffic: [7] }],
        ['pod-c', { requests: 2, firstTraffic: [8] }],
      ],
    );
  });

  test('formatJson lays JSON out as the repository formatter does, so committed timelines pass biome ci', () => {
    const long = Array.from({ length: 40 }, (_, i) => (i + 1) * 1000);
    assert.equal(
      formatJson({
        a: [1, 2],
        b: { c: 'x' },
        d: [],
        e: {},
        f: [{ g: 1 }],
        h: [
          [1, 2],
          [3, 4],
        ],
        long,
      }),
      [
        '{',
        '  "a": [1, 2],',
        '  "b": {',
        '    "c": "x"',
        '  },',
        '  "d": [],',
        '  "e": {},',
        '  "f": [',
        '    {',
        '      "g": 1',
        '    }',
        '  ],',
        '  "h": [[1, 2], [3, 4]],',
        '  "long": [',
        '    1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000,',
        '    19000, 20000, 21000, 22000, 23000, 24000, 25000, 26000, 27000, 28000, 29000, 30000, 31000, 32000, 33000, 34000,',
        '    35000, 36000, 37000, 38000, 39000, 40000',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
  });

  test('each trap turns one safeguard off in the chart values the lab renders', async () => {
    assert.deepEqual(safeguardOverrides({ warmup: false, drain: false, recycle: false, admission: false }), [
      '--set',
      'warmup.enabled=false',
      '--set',
      'shutdown.preStopSleepSeconds=0',
      '--set',
      'shutdown.delaySeconds=0',
      '--set',
      'connectionRecycling.maxRequests=0',
      '--set',
      'connectionRecycling.maxAgeSeconds=0',
      '--set',
      'admission.maxInFlight=0',
      '--set',
      'admission.maxEventLoopDelayMs=0',
    ]);
    const traps = await loadSettings({ warmup: false, drain: false, recycle: false, admission: false }, [SPIKE_VALUES]);
    assert.deepEqual(
      {
        WARMSCALE_WARMUP_ENABLED: traps.env.WARMSCALE_WARMUP_ENABLED,
        WARMSCALE_SHUTDOWN_DELAY_MS: traps.env.WARMSCALE_SHUTDOWN_DELAY_MS,
        WARMSCALE_SHUTDOWN_PRE_STOP_SLEEP_SECONDS: traps.env.WARMSCALE_SHUTDOWN_PRE_STOP_SLEEP_SECONDS,
        WARMSCALE_CONNECTIONS_MAX_REQUESTS: traps.env.WARMSCALE_CONNECTIONS_MAX_REQUESTS,
        WARMSCALE_CONNECTIONS_MAX_AGE_MS: traps.env.WARMSCALE_CONNECTIONS_MAX_AGE_MS,
        WARMSCALE_ADMISSION_MAX_IN_FLIGHT: traps.env.WARMSCALE_ADMISSION_MAX_IN_FLIGHT,
        WARMSCALE_ADMISSION_MAX_EVENT_LOOP_DELAY_MS: traps.env.WARMSCALE_ADMISSION_MAX_EVENT_LOOP_DELAY_MS,
        preStopSleepSeconds: traps.preStopSleepSeconds,
      },
      {
        WARMSCALE_WARMUP_ENABLED: 'false',
        WARMSCALE_SHUTDOWN_DELAY_MS: '0',
        WARMSCALE_SHUTDOWN_PRE_STOP_SLEEP_SECONDS: '0',
        WARMSCALE_CONNECTIONS_MAX_REQUESTS: '0',
        WARMSCALE_CONNECTIONS_MAX_AGE_MS: '0',
        WARMSCALE_ADMISSION_MAX_IN_FLIGHT: '0',
        WARMSCALE_ADMISSION_MAX_EVENT_LOOP_DELAY_MS: '0',
        preStopSleepSeconds: 0,
      },
    );
  });

  test('the spike values cap requests in flight, and leave the event-loop guard at its default', async () => {
    const settings = await loadSettings(undefined, [SPIKE_VALUES]);
    assert.deepEqual(settings.helmArgs, ['-f', 'test/lab/lab-values.yaml', '-f', 'test/lab/spike-values.yaml']);
    assert.deepEqual(
      [settings.env.WARMSCALE_ADMISSION_MAX_IN_FLIGHT, settings.env.WARMSCALE_ADMISSION_MAX_EVENT_LOOP_DELAY_MS],
      ['4', '500'],
    );
  });

  test('the lab values profile keeps the chart consistent and shortens its time constants', async () => {
    const settings = await loadSettings();
    assert.deepEqual(settings.helmArgs, ['-f', 'test/lab/lab-values.yaml']);
    assert.deepEqual(
      {
        scrape: settings.scrapeIntervalSeconds,
        rateWindow: settings.rateWindowSeconds,
        min: settings.minReplicas,
        max: settings.maxReplicas,
        target: settings.targetQps,
        metric: settings.metricName,
        preStop: settings.preStopSleepSeconds,
        grace: settings.terminationGracePeriodSeconds,
        startup: settings.startupProbe,
        readiness: settings.readinessProbe,
        liveness: settings.livenessProbe,
        scaleDownWindow: settings.hpa.spec.behavior.scaleDown.stabilizationWindowSeconds,
      },
      {
        scrape: 2,
        rateWindow: 10,
        min: 1,
        max: 6,
        target: 20,
        metric: 'httpserver_requests_qps',
        preStop: 5,
        grace: 30,
        startup: { path: '/startupz', periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 20 },
        readiness: { path: '/readyz', periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 2 },
        liveness: { path: '/livez', periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
        scaleDownWindow: 30,
      },
    );
  });
});

describe('the lab', () => {
  // About two minutes: 5 s idle, 55 s at 50 req/s (2.5 times the 20 q/s target of one pod), then 10 req/s for 50 s,
  // long enough for the 30 s scale-down window, the scale-in and the drain of every removed pod.
  test('a short run scales out under load and back in after it, with zero failed requests and traffic on every ready replica', {
    timeout: 240_000,
  }, async () => {
    const timeline = await runLab({
      name: 'test',
      command: 'npm test',
      profile: stepProfile({
        idleSeconds: 5,
        plateauSeconds: 55,
        tailSeconds: 50,
        idleRps: 5,
        peakRps: 50,
        lowRps: 10,
      }),
      // Keep-alive connections only: a replica added by the HPA then gets traffic only through connection recycling.
      freshConnectionShare: 0,
    });
    const { summary } = timeline;
    const context = JSON.stringify({ summary, events: timeline.events }, null, 1);

    assert.ok(summary.maxDesired >= 2, `the HPA scaled out to ${summary.maxDesired}\n${context}`);
    assert.ok(summary.maxReady >= 2, `only ${summary.maxReady} replicas became ready\n${context}`);
    assert.equal(summary.scaleEvents[0]?.from, 1, context);
    assert.equal(summary.finalDesired, 1, `the HPA did not scale back in\n${context}`);
    assert.equal(summary.finalReady, 1, context);

    // What a lab run makes deterministic, exactly: the replica count never leaves min..max, each scale event starts
    // where the previous one ended, and no pod is left running unready.
    const { minReplicas, maxReplicas } = timeline.settings;
    assert.deepEqual(
      timeline.replicas.filter((sample) => sample.desired < minReplicas || sample.desired > maxReplicas),
      [],
      context,
    );
    summary.scaleEvents.forEach((event, i) => {
      if (i > 0) assert.equal(event.from, summary.scaleEvents[i - 1]?.to, context);
    });
    assert.deepEqual(
      timeline.pods.filter((pod) => pod.readyAt === null && pod.deletedAt === null).map((pod) => pod.name),
      [],
      context,
    );
    assert.equal(summary.failed, 0, `failed requests: ${JSON.stringify(timeline.failedRequests)}\n${context}`);
    assert.equal(summary.restarts, 0, context);
    assert.equal(summary.requests, timeline.client.sent);
    const loadEnd = timeline.profile[timeline.profile.length - 1]?.end ?? 0;
    const removed = timeline.pods.filter((pod) => pod.deletedAt !== null);
    assert.ok(removed.length >= 1, context);
    for (const pod of removed) {
      assert.equal(pod.exitCode, 0, `${pod.name} did not exit 0\n${context}`);
      assert.ok(
        (pod.exitedAt ?? Number.POSITIVE_INFINITY) < loadEnd,
        `${pod.name} was still draining when the load ended`,
      );
    }

    // Replicas ready for at least one HPA sync period when the peak ended must have served requests.
    const snapshot = summary.servedAtPeakEnd;
    assert.ok(snapshot !== null, context);
    const settled = snapshot.pods.filter((pod) => pod.readyForSeconds >= timeline.settings.syncPeriodSeconds);
    assert.ok(settled.length >= 2, `${JSON.stringify(snapshot)}\n${context}`);
    for (const pod of settled) assert.ok(pod.requests > 0, `${pod.pod} served no request: ${JSON.stringify(snapshot)}`);

    // The report is self-contained: no script and no resource from elsewhere.
    const dir = await mkdtemp(join(tmpdir(), 'warmscale-lab-'));
    try {
      const paths = writeReport(dir, timeline);
      const html = await readFile(paths.html, 'utf8');
      assert.ok(html.startsWith('<!doctype html>'));
      assert.equal(/<script|<link|src=|href=/i.test(html), false);
      assert.deepEqual(
        [...html.matchAll(/https?:\/\/[^"'\s<]+/g)]
          .map((match) => match[0])
          .filter((url) => !url.startsWith('http://www.w3.org/')),
        [],
      );
      assert.deepEqual(JSON.parse(await readFile(paths.json, 'utf8')), JSON.parse(JSON.stringify(timeline)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
