import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../chart/helm.js';
import { findObject, type K8sObject, renderChart } from '../chart/render.js';
import { get, samples, sleep } from '../support/http.js';
import { startLoad } from '../support/load.js';
import { deploymentForPodman, loadTools, type Podman, podman, testPodForPodman } from './podman.js';

// Names carry the process id, so two runs on one machine never touch each other's pod or image.
const FULLNAME = `ws-image-${process.pid}`;
const IMAGE_REPOSITORY = 'localhost/warmscale-image-test/demo';
const IMAGE_TAG = String(process.pid);
const IMAGE = `${IMAGE_REPOSITORY}:${IMAGE_TAG}`;
// podman kube play names a Deployment's pod `<name>-pod-0` and each container `<pod>-<container>`.
const APP_POD = `${FULLNAME}-pod-0`;
const APP_CONTAINER = `${APP_POD}-app`;
const TEST_POD = `${FULLNAME}-test`;
const TEST_CONTAINER = `${TEST_POD}-check`;

interface Probe {
  path: string;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** One httpGet probe as the kubelet sends it: a fresh connection, the probe's timeout; 200-399 is a success. */
function probeOnce(url: string, timeoutSeconds: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutSeconds * 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

const succeeded = (outcome: number | string) => typeof outcome === 'number' && outcome >= 200 && outcome < 400;

/**
 * Probes like the kubelet: at once, then every `periodSeconds`, until one success or `failureThreshold` failures in a
 * row. Returns every outcome, in order.
 */
async function probeUntilSuccess(base: string, probe: Probe): Promise<Array<number | string>> {
  const outcomes: Array<number | string> = [];
  for (;;) {
    const outcome = await probeOnce(`${base}${probe.path}`, probe.timeoutSeconds);
    outcomes.push(outcome);
    if (succeeded(outcome) || outcomes.length >= probe.failureThreshold) return outcomes;
    await sleep(probe.periodSeconds * 1000);
  }
}

function probeOf(container: Record<string, unknown>, field: string): Probe {
  // biome-ignore lint/suspicious/noExplicitAny: rendered probe, read field by field.
  const probe = container[field] as any;
  return {
    path: probe.httpGet.path,
    periodSeconds: probe.periodSeconds,
    timeoutSeconds: probe.timeoutSeconds,
    failureThreshold: probe.failureThreshold,
  };
}

/** The literal environment of a rendered Deployment's first container (the downward-API entries left out). */
function literalEnv(rendered: K8sObject): Record<string, string> {
  const [container] = rendered.spec.template.spec.containers as Array<{ env: Array<{ name: string; value?: string }> }>;
  return Object.fromEntries(
    (container?.env ?? []).flatMap((entry) => (entry.value === undefined ? [] : [[entry.name, entry.value]])),
  );
}

/** Fields of /proc/<pid>/status as `name -> value` (tabs kept inside values). */
function procStatus(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon), line.slice(colon + 1).trim()];
      }),
  );
}

describe('the demo image from apps/demo/Dockerfile, running the chart pod spec under podman', () => {
  let pm: Podman;
  let scratch: string;
  let hostPort: number;
  let objects: K8sObject[];
  let base: string;
  let appContainer: Record<string, unknown>;
  const created = { image: false, appPod: false, testPod: false };

  before(async () => {
    pm = await podman();
    scratch = await mkdtemp(join(tmpdir(), 'warmscale-image-'));
    hostPort = await freePort();
    base = `http://127.0.0.1:${hostPort}`;
  });

  after(async () => {
    // Every pod, container and image this suite made, by name, whatever failed; `-t 0` so a hung app is killed.
    if (created.testPod) await pm.run(['pod', 'rm', '--force', '--time', '0', TEST_POD]);
    if (created.appPod) await pm.run(['pod', 'rm', '--force', '--time', '0', APP_POD]);
    if (created.image) await pm.run(['rmi', '--force', IMAGE]);
    await rm(scratch, { recursive: true, force: true });
  });

  /** Writes `object` to a file and runs `podman kube play` on it. */
  async function play(object: K8sObject, file: string): Promise<void> {
    const path = join(scratch, file);
    await writeFile(path, JSON.stringify(object));
    await pm.ok(['kube', 'play', path]);
  }

  test('podman builds the image from the unchanged Dockerfile, on a local node:20-bookworm-slim', {
    timeout: 900_000,
  }, async (t) => {
    const { image: baseImage } = (await loadTools()).ensureNodeBaseImage();
    assert.equal(baseImage, 'docker.io/library/node:20-bookworm-slim');
    created.image = true;
    await pm.ok(['build', '--pull=never', '--quiet', '-f', 'apps/demo/Dockerfile', '-t', IMAGE, repoRoot].map(String));
    const config = JSON.parse(await pm.ok(['image', 'inspect', '--format', '{{json .Config}}', IMAGE])) as {
      User: string;
      Cmd: string[];
      WorkingDir: string;
      ExposedPorts: Record<string, unknown>;
    };
    assert.deepEqual(
      [config.User, config.Cmd, config.WorkingDir, Object.keys(config.ExposedPorts)],
      ['65532:65532', ['node', 'apps/demo/dist/main.js'], '/app', ['8080/tcp']],
    );
    const size = Number(await pm.ok(['image', 'inspect', '--format', '{{.Size}}', IMAGE]));
    const baseSize = Number(await pm.ok(['image', 'inspect', '--format', '{{.Size}}', baseImage]));
    t.diagnostic(`image ${IMAGE}: ${(size / 1e6).toFixed(1)} MB, of which ${(baseSize / 1e6).toFixed(1)} MB base`);
  });

  test('podman kube play runs the rendered Deployment with only what podman cannot take translated', {
    timeout: 120_000,
  }, async () => {
    objects = await renderChart({
      fullnameOverride: FULLNAME,
      image: { repository: IMAGE_REPOSITORY, tag: IMAGE_TAG },
      // The helm test pod calls the Service at this port; here it is the app pod's published port (see podman.ts).
      service: { port: hostPort },
    });
    const rendered = findObject(objects, 'Deployment', FULLNAME);
    appContainer = rendered.spec.template.spec.containers[0];
    assert.equal(appContainer.image, IMAGE);
    created.appPod = true;
    await play(deploymentForPodman(rendered, hostPort), 'deployment.json');
    const state = JSON.parse(await pm.ok(['inspect', '--format', '{{json .State}}', APP_CONTAINER])) as {
      Status: string;
    };
    assert.equal(state.Status, 'running');
    const env = Object.fromEntries(
      (JSON.parse(await pm.ok(['inspect', '--format', '{{json .Config.Env}}', APP_CONTAINER])) as string[]).map(
        (entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)],
      ),
    );
    // Every literal variable of the chart as rendered, and the two downward-API ones as a kubelet would resolve them.
    for (const [name, value] of Object.entries(literalEnv(rendered))) assert.equal(env[name], value, name);
    assert.deepEqual([env.POD_NAME, env.POD_NAMESPACE], [APP_POD, 'shop']);
  });

  test('playing the kubelet: /startupz succeeds within the startupProbe budget, then /readyz and /livez', {
    timeout: 300_000,
  }, async (t) => {
    const startup = probeOf(appContainer, 'startupProbe');
    const readiness = probeOf(appContainer, 'readinessProbe');
    const liveness = probeOf(appContainer, 'livenessProbe');
    assert.deepEqual([startup.path, readiness.path, liveness.path], ['/startupz', '/readyz', '/livez']);
    const startupOutcomes = await probeUntilSuccess(base, startup);
    // Ready within the budget: a success before failureThreshold failures (the kubelet restarts the container then).
    assert.equal(succeeded(startupOutcomes.at(-1) as number | string), true, `startupProbe: ${startupOutcomes}`);
    assert.ok(startupOutcomes.length <= startup.failureThreshold);
    assert.deepEqual(await probeUntilSuccess(base, readiness), [200]);
    assert.deepEqual(await probeUntilSuccess(base, liveness), [200]);
    t.diagnostic(`startupProbe outcomes, every ${startup.periodSeconds} s: ${startupOutcomes.join(', ')}`);
  });

  test("the running container has the chart's security posture, read from inside", { timeout: 60_000 }, async () => {
    const status = procStatus(await pm.ok(['exec', APP_CONTAINER, 'cat', '/proc/1/status']));
    assert.deepEqual(
      [status.Name, status.Uid, status.Gid, status.Groups, status.NoNewPrivs, status.Seccomp],
      ['node', '65532\t65532\t65532\t65532', '65532\t65532\t65532\t65532', '65532', '1', '2'],
    );
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
      assert.equal(status[set], '0000000000000000', set);
    const mounts = (await pm.ok(['exec', APP_CONTAINER, 'cat', '/proc/1/mountinfo']))
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .filter((fields) => fields[4] === '/' || fields[4] === '/tmp')
      .map((fields) => [fields[4], (fields[5] as string).split(',')[0]]);
    assert.deepEqual(mounts, [
      ['/', 'ro'],
      ['/tmp', 'rw'],
    ]);
    const write = await pm.run(['exec', APP_CONTAINER, 'sh', '-c', 'echo x > /app/probe']);
    assert.deepEqual([write.code, write.stderr.trim()], [2, 'sh: 1: cannot create /app/probe: Read-only file system']);
    assert.equal(
      await pm.ok(['exec', APP_CONTAINER, 'sh', '-c', 'echo x > /tmp/probe && cat /tmp/probe && rm /tmp/probe']),
      'x\n',
    );
  });

  test('traffic is counted in httpserver_requests_total on /metrics, probes are not', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 7; i++) assert.equal((await get(`${base}/hello`)).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await get(`${base}/nope`)).status, 404);
    const metrics = await get(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.deepEqual(samples(metrics.body, 'httpserver_requests_total'), [
      'httpserver_requests_total{method="GET",route="/hello",status="200"} 7',
      'httpserver_requests_total{method="GET",route="__unmatched__",status="404"} 2',
    ]);
  });

  test("the chart's helm test pod passes against the running pod", { timeout: 120_000 }, async () => {
    const pod = findObject(objects, 'Pod', TEST_POD);
    const [check] = pod.spec.containers as Array<{ image: string }>;
    // The chart's own tests.image (busybox:1.37), made locally under that name (scripts/tools.mjs).
    assert.equal((await loadTools()).ensureBusyboxImage(check?.image).image, 'docker.io/library/busybox:1.37');
    const hosts = join(scratch, 'hosts');
    await writeFile(hosts, `127.0.0.1\tlocalhost\n127.0.0.1\t${FULLNAME}\n`);
    created.testPod = true;
    await play(testPodForPodman(pod, hosts), 'test-pod.json');
    const exitCode = (await pm.ok(['wait', TEST_CONTAINER])).trim();
    const logs = (await pm.run(['logs', TEST_CONTAINER])).stdout;
    assert.equal(exitCode, '0', logs);
    assert.deepEqual(logs.trim().split('\n'), ['/readyz: 200', '/metrics: has httpserver_requests_total']);
  });

  test('SIGTERM with the rendered grace period under keep-alive load: no failed request during the delay, exit 0', {
    timeout: 300_000,
  }, async () => {
    const rendered = findObject(objects, 'Deployment', FULLNAME);
    const spec = rendered.spec.template.spec;
    const grace = spec.terminationGracePeriodSeconds as number;
    const preStop = (appContainer.lifecycle as { preStop: { sleep: { seconds: number } } }).preStop.sleep.seconds;
    const delayMs = Number(literalEnv(rendered).WARMSCALE_SHUTDOWN_DELAY_MS);
    assert.deepEqual([grace, preStop, delayMs], [30, 5, 5000]);

    const load = await startLoad({ url: `${base}/hello`, concurrency: 4, maxRequests: 200_000, maxMs: 60_000 });
    // The kubelet runs preStop first (the app serves on, not yet signalled), then sends SIGTERM and waits the rest of
    // the grace period before SIGKILL: `podman stop --time` sends SIGTERM, waits that long, then kills. Not
    // `podman pod stop`: it signals the pod's infra container too, which exits at once and takes the pod's network
    // (the published port) with it while the app is still serving its shutdown delay.
    await sleep(preStop * 1000);
    assert.deepEqual(await probeUntilSuccess(base, probeOf(appContainer, 'readinessProbe')), [200]);
    const signalledAt = Date.now();
    const stopped = new Promise<number | null>((resolve, reject) => {
      const child = spawn(pm.binary, ['stop', '--time', String(grace - preStop), APP_CONTAINER], {
        env: pm.env,
        stdio: 'ignore',
      });
      child.once('error', reject);
      child.once('exit', resolve);
    });
    // Readiness flips to 503 once the app has the signal; liveness stays 200 (the kubelet must not restart it).
    let readyz: number | string = 200;
    while (readyz === 200) readyz = await probeOnce(`${base}/readyz`, 1);
    assert.equal(readyz, 503);
    assert.equal(await probeOnce(`${base}/livez`, 1), 200);
    // Endpoint removal has propagated by the end of the delay: the load stops before the server stops accepting.
    await sleep(signalledAt + delayMs - 600 - Date.now());
    const summary = await load.stop();
    assert.deepEqual(summary.errors, {});
    assert.deepEqual(Object.keys(summary.statuses), ['200']);
    assert.ok(summary.sent > 100, `only ${summary.sent} requests were sent`);

    assert.equal(await stopped, 0);
    const state = JSON.parse(await pm.ok(['inspect', '--format', '{{json .State}}', APP_CONTAINER])) as {
      Status: string;
      ExitCode: number;
    };
    assert.deepEqual([state.Status, state.ExitCode], ['exited', 0]);
    const logs = (await pm.ok(['logs', APP_CONTAINER]))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string });
    assert.ok(logs.some((line) => line.msg === 'shutdown complete'));
  });
});
