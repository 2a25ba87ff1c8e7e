import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One scrape target: the base URL of a process serving Prometheus metrics and the target labels it carries.
 *
 * To get the labels a Prometheus-operator ServiceMonitor gives a pod's endpoint, pass
 * `{ namespace, pod, service, job: <service>, container, endpoint }` (`job` here overrides the scrape job's name,
 * as the operator's relabelling does).
 */
export interface ScrapeTarget {
  /**
   * `http://127.0.0.1:<port>`; a path other than `/` overrides {@link PrometheusOptions.metricsPath} for this target
   * (it becomes the target's `__metrics_path__`).
   */
  readonly url: string;
  /** Target labels, added to every series scraped from it, e.g. `{ namespace: 'shop', pod: 'demo-warmscale-a' }`. */
  readonly labels: Readonly<Record<string, string>>;
}

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  /** Global `scrape_interval` and `evaluation_interval`, in seconds (may be fractional, e.g. `0.5`). */
  readonly scrapeIntervalSeconds: number;
  /** Initial targets, written to the `file_sd` file; an empty list is allowed. */
  readonly targets: readonly ScrapeTarget[];
  /**
   * Metrics path of every target whose URL has no path.
   * @defaultValue `'/metrics'`
   */
  readonly metricsPath?: string;
  /**
   * `job_name` of the scrape job (the `job` label of targets that do not set one).
   * @defaultValue `'warmscale'`
   */
  readonly jobName?: string;
  /**
   * `refresh_interval` of the `file_sd` config, in seconds. Prometheus also watches the file, so changes usually apply
   * at once; the interval bounds the delay when a change notification is missed.
   * @defaultValue `1`
   */
  readonly fileSdRefreshSeconds?: number;
  /**
   * Upper bound of the server's lifetime in seconds: Prometheus runs under coreutils `timeout`, so it stops by itself
   * even when the test process is killed before it can clean up.
   * @defaultValue `1800`
   */
  readonly maxLifetimeSeconds?: number;
  /**
   * How long to wait for `/-/ready`, in milliseconds.
   * @defaultValue `30000`
   */
  readonly readyTimeoutMs?: number;
}

/** One element of an instant vector returned by the HTTP API. */
export interface InstantSample {
  /** The series' labels (including `__name__` unless the expression dropped it). */
  readonly metric: Readonly<Record<string, string>>;
  /** The sample value (`NaN` and `±Inf` are parsed as such). */
  readonly value: number;
  /** Evaluation timestamp, in seconds since the epoch. */
  readonly timestamp: number;
}

/** One active scrape target as `/api/v1/targets` reports it. */
export interface ActiveTarget {
  readonly scrapeUrl: string;
  /** Labels after relabelling: the target labels, `job` and `instance`. */
  readonly labels: Readonly<Record<string, string>>;
  /** `'up'`, `'down'` or `'unknown'` (not scraped yet). */
  readonly health: string;
  readonly lastError: string;
  /** ISO timestamp of the last scrape (`0001-01-01T00:00:00Z` before the first). */
  readonly lastScrape: string;
}

/** A Prometheus server started by {@link startPrometheus}. */
export interface RunningPrometheus {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** PID of the Prometheus server process. */
  readonly pid: number;
  /** The generated (and promtool-validated) configuration file. */
  readonly configPath: string;
  /** The `file_sd` file {@link RunningPrometheus.setTargets} rewrites. */
  readonly targetsPath: string;
  /** The temporary directory holding the config, the targets file and the TSDB (`data/`); removed by `stop()`. */
  readonly dir: string;
  /**
   * Runs an instant query (`GET /api/v1/query`) and returns its vector.
   * @param promql - a PromQL expression that evaluates to an instant vector
   * @param time - evaluation time in seconds since the epoch; the server's now by default
   * @throws Error when the API answers an error or a result that is not a vector
   */
  query(promql: string, time?: number): Promise<InstantSample[]>;
  /**
   * The label sets of the series matching a selector (`GET /api/v1/series?match[]=...`), as prometheus-adapter's
   * discovery lists them for a rule's `seriesQuery`.
   * @param match - a series selector, e.g. `httpserver_requests_total{namespace!="",pod!=""}`
   * @param startSeconds - only series with samples since then (seconds since the epoch); all series by default
   */
  series(match: string, startSeconds?: number): Promise<Array<Record<string, string>>>;
  /**
   * Replaces the targets: rewrites the `file_sd` file atomically (write, then rename) and resolves once
   * `/api/v1/targets` lists exactly the new set of scrape URLs (Prometheus applies target changes at most every 5 s;
   * throws after 15 s). New targets are scraped from then on, at the scrape interval.
   */
  setTargets(targets: readonly ScrapeTarget[]): Promise<void>;
  /** The active targets (`GET /api/v1/targets?state=active`). */
  activeTargets(): Promise<ActiveTarget[]>;
  /** Prometheus' own log (its stderr), the last 64 KiB; useful in assertion messages. */
  logs(): string;
  /** Stops the server (SIGTERM, SIGKILL after 10 s) and removes {@link RunningPrometheus.dir}. Idempotent. */
  stop(): Promise<void>;
}

interface Tools {
  ensurePrometheus(): { prometheus: string; promtool: string };
  ensurePythonPrometheusClient(): string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LOG_LIMIT = 64 * 1024;

// Synchronous teardowns of the servers not stopped yet, run by one process `exit` listener however many there are.
const unstopped = new Set<() => void>();
let exitHookInstalled = false;

function onProcessExit(teardown: () => void): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const pending of unstopped) pending();
    });
  }
  unstopped.add(teardown);
}

// A computed specifier keeps tsc from resolving the untyped .mjs; the cast states the functions used.
const tools = (): Promise<Tools> =>
  import(new URL('../../../scripts/tools.mjs', import.meta.url).href) as Promise<Tools>;

/** Paths of prometheus and promtool, installed by `scripts/tools.mjs` when missing. */
export async function prometheusBinaries(): Promise<{ prometheus: string; promtool: string }> {
  return (await tools()).ensurePrometheus();
}

/** Debian's python3 with the reference client's parsers (`prometheus_client`), installed when missing. */
export async function pythonWithPrometheusClient(): Promise<string> {
  return (await tools()).ensurePythonPrometheusClient();
}

/** A duration in Prometheus' syntax: whole seconds as `"2s"`, anything else in milliseconds (`"500ms"`). */
export function promDuration(seconds: number): string {
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new Error(`duration must be > 0 seconds (got ${seconds})`);
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.round(seconds * 1000)}ms`;
}

/** A port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('could not obtain a free port');
  return address.port;
}

/** The `file_sd` document for `targets` (one group per target, so each keeps its own labels). */
function fileSd(targets: readonly ScrapeTarget[]): Array<{ targets: string[]; labels: Record<string, string> }> {
  return targets.map((target) => {
    const url = new URL(target.url);
    if (url.protocol !== 'http:') throw new Error(`target url must use http: (got ${target.url})`);
    for (const name of Object.keys(target.labels)) {
      if (!LABEL_NAME.test(name)) throw new Error(`target label name must match ${LABEL_NAME} (got ${name})`);
    }
    const labels: Record<string, string> = { ...target.labels };
    if (url.pathname !== '/' && url.pathname !== '') labels.__metrics_path__ = url.pathname;
    return { targets: [url.host], labels };
  });
}

/** The scrape URL Prometheus reports for `target`. */
function scrapeUrl(target: ScrapeTarget, metricsPath: string): string {
  const url = new URL(target.url);
  const path = url.pathname !== '/' && url.pathname !== '' ? url.pathname : metricsPath;
  return `http://${url.host}${path}`;
}

/** The generated configuration (JSON, which is YAML). */
function configText(options: PrometheusOptions, targetsPath: string): string {
  const interval = promDuration(options.scrapeIntervalSeconds);
  // The default scrape_timeout (10s) must not exceed the interval, or the config is rejected.
  const timeout = promDuration(Math.min(options.scrapeIntervalSeconds, 10));
  const config = {
    global: { scrape_interval: interval, scrape_timeout: timeout, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: options.jobName ?? 'warmscale',
        metrics_path: options.metricsPath ?? '/metrics',
        scheme: 'http',
        file_sd_configs: [{ files: [targetsPath], refresh_interval: promDuration(options.fileSdRefreshSeconds ?? 1) }],
      },
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const scratch = `${path}.${process.pid}.tmp`;
  await writeFile(scratch, text);
  await rename(scratch, path);
}

function execute(file: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, output: `${stdout}${stderr}${error && typeof error.code !== 'number' ? error.message : ''}` });
    });
  });
}

/** PID of the only child of `parent` (Prometheus under `timeout`), or undefined while it has none. */
async function childPid(parent: number): Promise<number | undefined> {
  try {
    const text = await readFile(`/proc/${parent}/task/${parent}/children`, 'utf8');
    const pid = Number(text.trim().split(/\s+/)[0]);
    if (pid > 0) return pid;
  } catch {
    // Kernels without CONFIG_PROC_CHILDREN: fall back to scanning /proc for the parent PID.
  }
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (ppid) follows "pid (comm) state"; comm may contain spaces, so split after its closing parenthesis.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) return Number(entry);
  }
  return undefined;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { status?: string; error?: string; data?: unknown };
  if (body.status !== 'success')
    throw new Error(`${url} answered ${response.status}: ${body.error ?? 'no error text'}`);
  return body.data;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts a real Prometheus server on `127.0.0.1:<free port>` with a generated configuration: global scrape and
 * evaluation interval `scrapeIntervalSeconds`, one scrape job whose targets come from a `file_sd` file (so
 * {@link RunningPrometheus.setTargets} can add and remove targets at runtime), and its own temporary TSDB directory.
 *
 * The configuration is validated with `promtool check config` before the server starts; the promise resolves once
 * `/-/ready` answers 200 and `/api/v1/targets` lists the initial targets (Prometheus applies target changes at most
 * every 5 s, so this takes up to ~5 s when there are targets). Binaries come from `ensurePrometheus()` in `scripts/tools.mjs`. On any failure everything
 * started so far is torn down before the promise rejects; a process `exit` hook kills the server and removes its
 * directory if `stop()` was never called, and `maxLifetimeSeconds` bounds it if even that hook cannot run.
 *
 * @example
 * ```ts
 * const prometheus = await startPrometheus({
 *   scrapeIntervalSeconds: 1,
 *   targets: [{ url: demo.url, labels: { namespace: 'shop', pod: 'demo-warmscale-a' } }],
 * });
 * try {
 *   const qps = await prometheus.query('sum(rate(httpserver_requests_total[20s])) by (pod)');
 * } finally {
 *   await prometheus.stop();
 * }
 * ```
 */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const { prometheus: prometheusPath, promtool } = await prometheusBinaries();
  const metricsPath = options.metricsPath ?? '/metrics';
  if (!metricsPath.startsWith('/')) throw new Error(`metricsPath must start with / (got ${metricsPath})`);
  const lifetime = options.maxLifetimeSeconds ?? 1800;
  if (!(lifetime > 0)) throw new Error(`maxLifetimeSeconds must be > 0 (got ${lifetime})`);
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const initialSd = fileSd(options.targets);

  const dir = await mkdtemp(join(tmpdir(), 'warmscale-prometheus-'));
  const configPath = join(dir, 'prometheus.yml');
  const targetsPath = join(dir, 'targets.json');
  let wrapper: ChildProcess | undefined;
  let pid = -1;
  let log = '';
  let stopped: Promise<void> | undefined;

  const killNow = (): void => {
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (wrapper && wrapper.exitCode === null && wrapper.signalCode === null) wrapper.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  onProcessExit(killNow);

  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const child = wrapper;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        // `timeout` forwards SIGTERM to Prometheus and exits once Prometheus has.
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            child.kill('SIGTERM');
          }
        } else {
          child.kill('SIGTERM');
        }
        const timer = setTimeout(() => {
          if (pid > 0) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // Already gone.
            }
          }
          child.kill('SIGKILL');
        }, 10_000);
        await exited;
        clearTimeout(timer);
      }
      unstopped.delete(killNow);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  /** Spawns Prometheus under `timeout` on `port` and waits for `/-/ready`; rejects if it exits first. */
  const launch = async (port: number, url: string): Promise<void> => {
    const child = spawn(
      'timeout',
      [
        '--signal=TERM',
        '--kill-after=10',
        String(lifetime),
        prometheusPath,
        `--config.file=${configPath}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1d',
        '--log.level=info',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    wrapper = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      log = (log + chunk).slice(-LOG_LIMIT);
    });
    const early = new Promise<never>((_, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        reject(new Error(`prometheus exited (${code ?? signal}) before it was ready:\n${log}`)),
      );
    });
    early.catch(() => {});
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      const ready = await Promise.race([
        fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) }).then(
          (response) => response.status === 200,
          () => false,
        ),
        early,
      ]);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`prometheus was not ready within ${readyTimeoutMs} ms:\n${log}`);
      await Promise.race([sleep(100), early]);
    }
  };

  try {
    await writeFile(targetsPath, `${JSON.stringify(initialSd, null, 2)}\n`);
    await writeFile(configPath, configText(options, targetsPath));
    const check = await execute(promtool, ['check', 'config', configPath]);
    if (check.code !== 0) throw new Error(`promtool check config rejected ${configPath}:\n${check.output}`);

    // The free port may be taken between the probe and Prometheus' bind: then try another one.
    let port = 0;
    let url = '';
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      url = `http://127.0.0.1:${port}`;
      log = '';
      try {
        await launch(port, url);
        break;
      } catch (error) {
        if (attempt >= 3 || !log.includes('address already in use')) throw error;
      }
    }
    const started = wrapper as ChildProcess;
    const serverPid = await childPid(started.pid ?? -1);
    if (serverPid === undefined) throw new Error('prometheus answered /-/ready but its process was not found');
    pid = serverPid;

    const activeTargets = async (): Promise<ActiveTarget[]> => {
      const data = (await getJson(`${url}/api/v1/targets?state=active`)) as { activeTargets: ActiveTarget[] };
      return data.activeTargets.map((target) => ({
        scrapeUrl: target.scrapeUrl,
        labels: target.labels,
        health: target.health,
        lastError: target.lastError,
        lastScrape: target.lastScrape,
      }));
    };

    // Prometheus' scrape manager applies discovered target changes at most every 5 s, so a new file_sd content takes
    // up to that long to show up in /api/v1/targets.
    const waitForTargets = async (targets: readonly ScrapeTarget[]): Promise<void> => {
      const expected = targets.map((target) => scrapeUrl(target, metricsPath)).sort();
      const until = Date.now() + 15_000;
      for (;;) {
        const active = (await activeTargets()).map((target) => target.scrapeUrl).sort();
        if (JSON.stringify(active) === JSON.stringify(expected)) return;
        if (Date.now() > until) {
          throw new Error(
            `prometheus did not pick up the targets ${expected.join(', ')} (active: ${active.join(', ')})`,
          );
        }
        await sleep(100);
      }
    };
    await waitForTargets(options.targets);

    return {
      url,
      port,
      pid,
      configPath,
      targetsPath,
      dir,
      async query(promql: string, time?: number): Promise<InstantSample[]> {
        const params = new URLSearchParams({ query: promql });
        if (time !== undefined) params.set('time', String(time));
        const data = (await getJson(`${url}/api/v1/query?${params}`)) as {
          resultType: string;
          result: Array<{ metric: Record<string, string>; value: [number, string] }>;
        };
        if (data.resultType !== 'vector') throw new Error(`${promql} returned a ${data.resultType}, not a vector`);
        return data.result.map((sample) => ({
          metric: sample.metric,
          value: Number.parseFloat(sample.value[1]),
          timestamp: sample.value[0],
        }));
      },
      async series(match: string, startSeconds?: number): Promise<Array<Record<string, string>>> {
        const params = new URLSearchParams({ 'match[]': match });
        if (startSeconds !== undefined) params.set('start', String(startSeconds));
        return (await getJson(`${url}/api/v1/series?${params}`)) as Array<Record<string, string>>;
      },
      async setTargets(targets: readonly ScrapeTarget[]): Promise<void> {
        await writeAtomically(targetsPath, `${JSON.stringify(fileSd(targets), null, 2)}\n`);
        await waitForTargets(targets);
      },
      activeTargets,
      logs: () => log,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
