import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { RequestGate, type ShedReason } from './admission.js';
import { countClientErrors } from './client-errors.js';
import { createConnectionPolicy } from './connections.js';
import { createExposition, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, wantsOpenMetrics } from './exposition.js';
import { createInternalServer, type InternalRoute } from './internal-server.js';
import { Lifecycle } from './lifecycle.js';
import { exitAfterFlush, type Logger } from './logger.js';
import { resolveOptions, resolveWarmupStep, type WarmscaleOptions, type WarmscaleOptionsInput } from './options.js';
import { createProbes, type ProbeHandler, type Probes, pathOf, probeRoutes, writeProbe } from './probes.js';
import { ReadinessChecks } from './readiness-checks.js';
import { createRequestMetrics, type RequestMetrics, type RequestRecorder, UNKNOWN_METHOD } from './request-metrics.js';
import { countResponses, type ResponseCounter, type RouteOf } from './responses.js';
import { SETTING_LIST } from './settings.js';
import { createShutdown } from './shutdown.js';
import { LifecycleState } from './states.js';
import {
  createWarmupMetrics,
  runWarmup,
  WARMUP_HEADER,
  type WarmupProgress,
  type WarmupRequest,
  type WarmupStep,
  type WarmupStepInput,
} from './warmup.js';

/** What every adapter exposes: as `fastify.warmscale`, or as the object the Express and node:http adapters return. */
export interface Warmscale {
  /** The registry holding every metric (add your own metrics to it). */
  readonly registry: Registry;
  /** The request counter and histogram. */
  readonly metrics: RequestMetrics;
  /**
   * The registry as `/metrics` serves it: Prometheus text, or OpenMetrics with exemplars. Same output as
   * `registry.metrics()`, several times cheaper, and safe to mix formats (see exposition.ts).
   */
  metricsText(openMetrics?: boolean): Promise<string>;
  /** The lifecycle: `state`, `ready`, `drainingSignal`, the `state` and `draining` events, `markBroken()`. */
  readonly lifecycle: Lifecycle;
  /** Adds a warm-up step; only before the server listens. */
  addWarmupStep(step: WarmupStepInput): void;
  /** The separate probe server when `probes.port` is set (its `address()` tells the port picked for 0). */
  readonly probeServer: Server | undefined;
  /** The separate metrics server when `metrics.port` is set (the probe server when both ports are equal). */
  readonly metricsServer: Server | undefined;
  /** Starts the graceful shutdown, as a shutdown signal would. */
  shutdown(reason?: string): Promise<void>;
  /** The resolved options. */
  readonly options: WarmscaleOptions;
}

/** What a framework adapter tells the core: how to reach, warm up and close the application. */
export interface WarmscaleHost {
  readonly log: Logger;
  /** Sends one warm-up request through the application in process; resolves with its status. */
  inject(request: WarmupRequest & { readonly headers: Readonly<Record<string, string>> }): Promise<number>;
  /** The application's listening Node server. */
  server(): Server | undefined;
  /** Stops accepting, waits for in-flight requests, runs the application's close hooks. */
  close(): Promise<void>;
  /** Extra fields of the warm-up function steps' context. */
  readonly context: object;
}

/** The framework-agnostic runtime behind every adapter. */
export interface WarmscaleCore extends Warmscale {
  readonly recorder: RequestRecorder;
  /** Requests in flight and admission control, run by the adapters ahead of the application. */
  readonly gate: RequestGate;
  /**
   * Takes charge of the application's server: connection recycling and the drain's `Connection: close`, and counting
   * every response (those to requests Node could not parse too). The adapter's request listener calls `begin` ahead
   * of the application.
   */
  watch(server: Server, routeOf: RouteOf, afterResponse?: () => void): ServerWatch;
  /** Probe routes served on the application's port (none when `probes.port` is set). */
  readonly mainPortProbes: ReadonlyArray<readonly [string, ProbeHandler]>;
  /** The metrics path served on the application's port (null when `metrics.path` is null or `metrics.port` is set). */
  readonly mainPortMetricsPath: string | null;
  /** Answers a scrape on a Node response (for the adapters that serve plain Node requests). */
  serveMetrics(request: IncomingMessage, response: ServerResponse): void;
  /** Opens the separate probe and metrics ports, if any; call before the application listens, so a port clash fails the start. */
  open(): Promise<void>;
  /** Call once the application listens: installs the signal handlers and runs the warm-up. */
  start(): void;
  /** Call when the application starts closing. */
  closing(): void;
  /** Call when the application has closed: stops timers, closes the probe and metrics ports. */
  closed(): Promise<void>;
}

/** What the adapter's request listener does with a request: serve it, shed it (and why), or drop it. */
export type RequestVerdict = 'serve' | 'drop' | ShedReason;

/** What the adapter's request listener runs ahead of the application, for each request on the server. */
export interface ServerWatch {
  /**
   * Connection recycling, the request's clock, the in-flight count and admission control, which never sheds the probes
   * and `/metrics` of the application's port nor the middleware's own warm-up requests (a loopback warm-up runs while
   * the loop is busy). `drop` is a request pipelined behind a response that closes its connection: it gets no response
   * (its client retries it elsewhere).
   */
  begin(request: IncomingMessage, response: ServerResponse): RequestVerdict;
  /** For a request that did not come through `begin` (injected in process, another server): counts it when it finishes. */
  countUnwatched: ResponseCounter['countUnwatched'];
  /** Labels a request the adapter answered itself (a probe, `/metrics`) with that path. */
  setRoute: ResponseCounter['setRoute'];
}

/**
 * Builds the lifecycle, metrics, probes, warm-up, shutdown and connection policy from the options. It knows no
 * framework: each adapter maps its framework onto `host` and the `WarmscaleCore` calls.
 */
export function createWarmscale(input: WarmscaleOptionsInput | undefined, host: WarmscaleHost): WarmscaleCore {
  const options = resolveOptions(input);
  const { registry, metrics: metricsOptions, probes: probeOptions, warmup: warmupOptions } = options;
  const log = host.log;
  if (metricsOptions.defaultMetrics) {
    collectDefaultMetrics({ register: registry });
    // Gauges named `_total` make `promtool check metrics` fail; `nodejs_active_{handles,requests,resources}{type}`
    // carry the same figures per type.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      registry.removeSingleMetric(name);
    }
  }

  const lifecycle = new Lifecycle(registry);
  lifecycle.on('state', (state, previous) => log.info({ state, previous }, `lifecycle: ${previous} -> ${state}`));
  const warmupToken = randomUUID();
  const probesOnMainPort = probeOptions.port === null;
  const mainPortMetricsPath = metricsOptions.port === null ? metricsOptions.path : null;
  const internalRoutes = metricsOptions.countInternal
    ? []
    : [
        mainPortMetricsPath,
        ...(probesOnMainPort ? [probeOptions.startupPath, probeOptions.readinessPath, probeOptions.livenessPath] : []),
      ].filter((path): path is string => path !== null);
  const recorder = createRequestMetrics(options, {
    excludedRoutes: new Set([...internalRoutes, ...metricsOptions.excludeRoutes]),
    isInternal: metricsOptions.countInternal
      ? () => false
      : (headers: IncomingHttpHeaders) => headers[WARMUP_HEADER] === warmupToken,
    lifecycle,
    onRequestAfterSignal: () => shutdown.requestsAfterSignal.inc(),
  });
  const shutdown = createShutdown(host, lifecycle, registry, options.shutdown);
  const metricsText = createExposition(registry);
  const gate = new RequestGate(options.admission, lifecycle, registry);
  const connections = createConnectionPolicy(lifecycle, options.connections);
  const counters: ResponseCounter[] = [];
  const isWarmup = (headers: IncomingHttpHeaders) => headers[WARMUP_HEADER] === warmupToken;

  const steps: WarmupStep[] = [...warmupOptions.steps];
  const progress: WarmupProgress = { total: 0, done: 0, failed: [], running: undefined, elapsedMs: 0 };
  const probes: Probes = createProbes(lifecycle, new ReadinessChecks(options.readiness.checks), progress, probeOptions);
  const mainPortProbes = probesOnMainPort ? probeRoutes(probes, probeOptions) : [];
  // Admission control never sheds these: the kubelet and Prometheus must reach an overloaded pod.
  const neverShed = new Set([
    ...mainPortProbes.map(([path]) => path),
    ...(mainPortMetricsPath === null ? [] : [mainPortMetricsPath]),
  ]);

  function serveMetrics(request: IncomingMessage, response: ServerResponse): void {
    const openMetrics = wantsOpenMetrics(request.headers.accept);
    void metricsText(openMetrics).then((body) => {
      response.writeHead(200, {
        'content-type': openMetrics ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE,
        'cache-control': 'no-store',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    });
  }

  // The separate ports: one server per distinct port, serving the probes, `/metrics`, or both.
  const ports = new Map<number, { host: string; routes: Map<string, InternalRoute> }>();
  const portFor = (port: number, portHost: string) => {
    let entry = ports.get(port);
    if (entry === undefined) {
      entry = { host: portHost, routes: new Map() };
      ports.set(port, entry);
    }
    return entry.routes;
  };
  if (probeOptions.port !== null) {
    const routes = portFor(probeOptions.port, probeOptions.host);
    for (const [path, probe] of probeRoutes(probes, probeOptions))
      routes.set(path, (_request, response) => void writeProbe(probe, response));
  }
  if (metricsOptions.port !== null && metricsOptions.path !== null) {
    portFor(metricsOptions.port, metricsOptions.host).set(metricsOptions.path, serveMetrics);
  }
  const internalServers = [...ports].map(([port, { host: portHost, routes }]) => ({
    port,
    host: portHost,
    server: createInternalServer(routes),
  }));
  const serverOn = (port: number | null) =>
    internalServers.find((internal) => port !== null && internal.port === port)?.server;
  const probeServer = serverOn(probeOptions.port);
  const metricsServer = metricsOptions.path === null ? undefined : serverOn(metricsOptions.port);
  const warmupMetrics = createWarmupMetrics(registry);
  let failedWarmupExit: NodeJS.Timeout | undefined;

  async function warmUp(): Promise<void> {
    const planned = warmupOptions.enabled ? steps : [];
    progress.total = planned.length;
    const ok =
      planned.length === 0 ||
      (await runWarmup({
        host: { ...host, address: () => host.server()?.address() as AddressInfo },
        steps: planned,
        budgetMs: warmupOptions.budgetMs,
        token: warmupToken,
        progress,
        metrics: warmupMetrics,
        stop: lifecycle.drainingSignal,
      }));
    if (lifecycle.state !== LifecycleState.Warming) return;
    if (ok) {
      lifecycle.transition(LifecycleState.Ready);
      log.info({ warmup: progress }, warmupOptions.enabled ? 'warm-up done: ready' : 'warm-up off: ready');
      return;
    }
    lifecycle.transition(LifecycleState.Failed);
    // Exit once the budget is spent, so the kubelet restarts the container (the startupProbe may do it first).
    failedWarmupExit = setTimeout(
      () => {
        log.error({ warmup: progress }, 'warm-up failed and its budget is spent: exiting 1');
        exitAfterFlush(log, options.shutdown.exit, 1);
      },
      Math.max(0, warmupOptions.budgetMs - progress.elapsedMs),
    );
  }

  async function closeInternalServers(): Promise<void> {
    await Promise.all(
      internalServers.map(({ server }) =>
        server.listening ? new Promise((resolve) => server.close(resolve)) : undefined,
      ),
    );
  }

  /** One line with every resolved setting and the budgets they add up to. */
  function logSettings(): void {
    const settings = Object.fromEntries(
      SETTING_LIST.map(({ section, key, path }) => [path, (options[section] as Record<string, unknown>)[key]]),
    );
    const { delayMs, drainTimeoutMs, timeoutMs, preStopSleepSeconds, gracePeriodSeconds } = options.shutdown;
    log.info(
      {
        settings,
        warmupSteps: warmupOptions.enabled ? steps.length : 0,
        budgets: {
          warmupMs: warmupOptions.budgetMs,
          shutdownMs: { delay: delayMs, drain: drainTimeoutMs, timeout: timeoutMs },
          terminationMs: { preStop: preStopSleepSeconds * 1000, timeout: timeoutMs, grace: gracePeriodSeconds },
        },
      },
      'warmscale settings',
    );
    if (gracePeriodSeconds === undefined) return;
    const neededMs = preStopSleepSeconds * 1000 + timeoutMs;
    if (neededMs > gracePeriodSeconds * 1000) {
      log.warn(
        { preStopSleepSeconds, shutdownTimeoutMs: timeoutMs, gracePeriodSeconds },
        `preStop sleep + shutdown timeout (${neededMs} ms) exceed terminationGracePeriodSeconds (${gracePeriodSeconds} s): the kubelet will SIGKILL in-flight requests`,
      );
    }
  }

  return {
    registry,
    metrics: { requests: recorder.requests, duration: recorder.duration },
    metricsText: (openMetrics = false) => metricsText(openMetrics),
    lifecycle,
    options,
    probeServer,
    metricsServer,
    recorder,
    gate,
    watch(server, routeOf, afterResponse) {
      const counter = countResponses({ server, routeOf, recorder, gate, afterResponse });
      counters.push(counter);
      connections.attach(server, counter.connectionClosed);
      countClientErrors(server, (status) => recorder.record({}, UNKNOWN_METHOD, undefined, status, undefined));
      return {
        begin(request, response) {
          const now = performance.now();
          if (!connections.admit(request, response, now)) return 'drop';
          const shed = counter.begin(request, response, now);
          if (shed === undefined || neverShed.has(pathOf(request.url)) || isWarmup(request.headers)) return 'serve';
          return shed;
        },
        countUnwatched: counter.countUnwatched,
        setRoute: counter.setRoute,
      };
    },
    mainPortProbes,
    mainPortMetricsPath,
    serveMetrics,
    addWarmupStep(step: WarmupStepInput) {
      if (lifecycle.state !== LifecycleState.Starting) {
        throw new Error(`addWarmupStep must be called before the server listens (state: ${lifecycle.state})`);
      }
      steps.push(resolveWarmupStep(step, `warmup step ${JSON.stringify((step as { name?: string }).name ?? '')}`));
    },
    shutdown: (reason = 'shutdown()') => shutdown.start(reason),
    async open() {
      try {
        for (const { port, host: portHost, server } of internalServers) {
          if (server.listening) continue;
          await new Promise<void>((resolve, reject) => {
            server.once('error', reject);
            server.listen(port, portHost, () => {
              server.off('error', reject);
              resolve();
            });
          });
        }
      } catch (error) {
        await closeInternalServers();
        throw error;
      }
    },
    start() {
      if (lifecycle.state !== LifecycleState.Starting) return;
      shutdown.installSignalHandlers();
      logSettings();
      lifecycle.transition(LifecycleState.Warming);
      // Not awaited: the probes must answer (503) while the warm-up runs.
      void warmUp();
    },
    closing() {
      if (lifecycle.state !== LifecycleState.Stopping && lifecycle.state !== LifecycleState.Stopped) {
        lifecycle.transition(LifecycleState.Stopping);
      }
    },
    async closed() {
      clearTimeout(failedWarmupExit);
      shutdown.removeSignalHandlers();
      shutdown.endDelay();
      probes.close();
      gate.close();
      for (const counter of counters) counter.close();
      await closeInternalServers();
      if (lifecycle.state !== LifecycleState.Stopped) lifecycle.transition(LifecycleState.Stopped);
    },
  };
}
