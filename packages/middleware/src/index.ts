import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import fp from 'fastify-plugin';
import promClient, { type Registry } from 'prom-client';
import { registerConnectionPolicy } from './connections.js';
import { createExposition } from './exposition.js';
import { Lifecycle } from './lifecycle.js';
import { registerMetricsRoute } from './metrics-route.js';
import { resolveOptions, resolveWarmupStep, type WarmscaleOptions, type WarmscaleOptionsInput } from './options.js';
import { createProbeServer, createProbes, registerProbeRoutes } from './probes.js';
import { ReadinessChecks } from './readiness-checks.js';
import { type RequestMetrics, registerRequestMetrics } from './request-metrics.js';
import { createShutdown } from './shutdown.js';
import { LifecycleState } from './states.js';
import {
  createWarmupMetrics,
  runWarmup,
  WARMUP_HEADER,
  type WarmupProgress,
  type WarmupStep,
  type WarmupStepInput,
} from './warmup.js';

/** What the plugin decorates the Fastify instance with, as `fastify.warmscale`. */
export interface Warmscale {
  /** The registry holding every metric of the plugin (add your own metrics to it). */
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
  /** Starts the graceful shutdown, as a shutdown signal would. */
  shutdown(reason?: string): Promise<void>;
  /** The resolved options. */
  readonly options: WarmscaleOptions;
}

declare module 'fastify' {
  interface FastifyInstance {
    warmscale: Warmscale;
  }
}

async function warmscalePlugin(fastify: FastifyInstance, input: WarmscaleOptionsInput): Promise<void> {
  const options = resolveOptions(input);
  if (fastify.hasDecorator('warmscale')) {
    throw new Error('@warmscale/middleware is already registered on this Fastify instance');
  }
  const { registry, metrics: metricsOptions, probes: probeOptions, warmup: warmupOptions } = options;
  if (metricsOptions.defaultMetrics) {
    // fastify-metrics is used for what it does cheaply: prom-client's default process metrics. Its per-route hooks
    // (two timers and a summary per request) cost far more than the counter, so they stay off and the request path
    // is ours. `promClient` is passed explicitly so it never swaps in another client copy behind our registry.
    // fastify-metrics 13 is CommonJS with `exports.default`, so ESM sees the plugin one level down.
    await fastify.register(fastifyMetricsModule.default, {
      name: 'warmscaleProcessMetrics',
      promClient,
      endpoint: null,
      defaultMetrics: { enabled: true, register: registry },
      routeMetrics: { enabled: false },
    });
  }

  const lifecycle = new Lifecycle(registry);
  const warmupToken = randomUUID();
  const probesOnMainPort = probeOptions.port === null;
  const internalRoutes = metricsOptions.countInternal
    ? []
    : [
        metricsOptions.path,
        ...(probesOnMainPort ? [probeOptions.startupPath, probeOptions.readinessPath, probeOptions.livenessPath] : []),
      ].filter((path): path is string => path !== null);
  const excludedRoutes = new Set([...internalRoutes, ...metricsOptions.excludeRoutes]);
  const isInternal = metricsOptions.countInternal
    ? () => false
    : (request: FastifyRequest) => request.headers[WARMUP_HEADER] === warmupToken;
  const metrics = registerRequestMetrics(fastify, options, {
    excludedRoutes,
    isInternal,
    lifecycle,
    onRequestAfterSignal: () => shutdown.requestsAfterSignal.inc(),
  });
  const metricsText = createExposition(registry);
  registerMetricsRoute(fastify, metricsOptions.path, metricsText);

  const steps: WarmupStep[] = [...warmupOptions.steps];
  const progress: WarmupProgress = { total: 0, done: 0, failed: [], running: undefined, elapsedMs: 0 };
  const probes = createProbes(lifecycle, new ReadinessChecks(options.readiness.checks), progress, probeOptions);
  const probeServer: Server | undefined = probesOnMainPort ? undefined : createProbeServer(probes, probeOptions);
  if (probesOnMainPort) registerProbeRoutes(fastify, probes, probeOptions);

  const shutdown = createShutdown(fastify, lifecycle, registry, options.shutdown);
  registerConnectionPolicy(fastify, lifecycle, options.connections);

  const warmupMetrics = createWarmupMetrics(registry);
  let failedWarmupExit: NodeJS.Timeout | undefined;

  async function warmUp(): Promise<void> {
    const planned = warmupOptions.enabled ? steps : [];
    progress.total = planned.length;
    const ok =
      planned.length === 0 ||
      (await runWarmup({
        fastify,
        steps: planned,
        budgetMs: warmupOptions.budgetMs,
        token: warmupToken,
        progress,
        metrics: warmupMetrics,
      }));
    if (lifecycle.state !== LifecycleState.Warming) return;
    if (ok) {
      lifecycle.transition(LifecycleState.Ready);
      fastify.log.info({ warmup: progress }, warmupOptions.enabled ? 'warm-up done: ready' : 'warm-up off: ready');
      return;
    }
    lifecycle.transition(LifecycleState.Failed);
    // Exit once the budget is spent, so the kubelet restarts the container (the startupProbe may do it first).
    failedWarmupExit = setTimeout(
      () => {
        fastify.log.error({ warmup: progress }, 'warm-up failed and its budget is spent: exiting 1');
        options.shutdown.exit(1);
      },
      Math.max(0, warmupOptions.budgetMs - progress.elapsedMs),
    );
  }

  function checkShutdownBudget(): void {
    const { gracePeriodSeconds, preStopSleepSeconds, timeoutMs } = options.shutdown;
    if (gracePeriodSeconds === undefined) return;
    const neededMs = preStopSleepSeconds * 1000 + timeoutMs;
    if (neededMs > gracePeriodSeconds * 1000) {
      fastify.log.warn(
        { preStopSleepSeconds, shutdownTimeoutMs: timeoutMs, gracePeriodSeconds },
        `preStop sleep + shutdown timeout (${neededMs} ms) exceed terminationGracePeriodSeconds (${gracePeriodSeconds} s): the kubelet will SIGKILL in-flight requests`,
      );
    }
  }

  fastify.addHook('onListen', async function startLifecycle() {
    if (lifecycle.state !== LifecycleState.Starting) return;
    if (probeServer !== undefined) {
      await new Promise<void>((resolve, reject) => {
        probeServer.once('error', reject);
        probeServer.listen(probeOptions.port ?? 0, probeOptions.host, resolve);
      });
    }
    shutdown.installSignalHandlers();
    checkShutdownBudget();
    lifecycle.transition(LifecycleState.Warming);
    // Not awaited: the probes must answer (503) while the warm-up runs.
    void warmUp();
  });
  fastify.addHook('preClose', function enterStopping(done) {
    if (lifecycle.state !== LifecycleState.Stopping && lifecycle.state !== LifecycleState.Stopped) {
      lifecycle.transition(LifecycleState.Stopping);
    }
    done();
  });
  fastify.addHook('onClose', async function enterStopped() {
    clearTimeout(failedWarmupExit);
    shutdown.removeSignalHandlers();
    probes.close();
    if (probeServer?.listening) await new Promise((resolve) => probeServer.close(resolve));
    lifecycle.transition(LifecycleState.Stopped);
  });

  fastify.decorate('warmscale', {
    registry,
    metrics,
    metricsText: (openMetrics = false) => metricsText(openMetrics),
    lifecycle,
    options,
    probeServer,
    addWarmupStep(step: WarmupStepInput) {
      if (lifecycle.state !== LifecycleState.Starting) {
        throw new Error(`addWarmupStep must be called before the server listens (state: ${lifecycle.state})`);
      }
      steps.push(resolveWarmupStep(step, `warmup step ${JSON.stringify((step as { name?: string }).name ?? '')}`));
    },
    shutdown: (reason = 'shutdown()') => shutdown.start(reason),
  } satisfies Warmscale);
}

/** The Fastify plugin. It counts routes registered before or after it. */
export const warmscale: FastifyPluginAsync<WarmscaleOptionsInput> = fp(warmscalePlugin, {
  fastify: '5.x',
  name: '@warmscale/middleware',
});
export default warmscale;

export { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from './exposition.js';
export { Lifecycle, type LifecycleEvents } from './lifecycle.js';
export {
  type ConnectionOptions,
  type ConnectionOptionsInput,
  DEFAULT_DURATION_BUCKETS,
  type MetricsOptions,
  type MetricsOptionsInput,
  type ProbeOptions,
  type ProbeOptionsInput,
  type ReadinessOptionsInput,
  type ShutdownOptions,
  type ShutdownOptionsInput,
  WarmscaleOptionError,
  type WarmscaleOptions,
  type WarmscaleOptionsInput,
  type WarmupOptions,
  type WarmupOptionsInput,
} from './options.js';
export type { ProbeResponse } from './probes.js';
export type { CheckResult, ReadinessCheckInput } from './readiness-checks.js';
export type {
  DurationHistogramFamily,
  FamilySample,
  FamilySnapshot,
  RequestCounterFamily,
  SelfFormattingFamily,
} from './request-families.js';
export { CLIENT_CLOSED_REQUEST, type RequestMetrics } from './request-metrics.js';
export { LIFECYCLE_STATES, LifecycleState } from './states.js';
export type {
  FunctionWarmupStepInput,
  InjectWarmupStepInput,
  WarmupProgress,
  WarmupStepInput,
} from './warmup.js';
