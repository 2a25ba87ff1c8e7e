// One lab run: Prometheus, the balancer, the workload at its minimum, then the load profile with the HPA syncing
// every period, and at the end the timeline. Every process it starts is stopped when the run ends, fails, or this
// process exits.
import { type RunningPrometheus, type ScrapeTarget, startPrometheus } from '../support/prometheus.js';
import { Autoscaler, type HpaTick } from './autoscaler.js';
import { type Balancer, startBalancer } from './balancer.js';
import { type RequestRecord, type RetryPolicy, type RunningLoadGenerator, startLoadGenerator } from './load.js';
import { type LoadProfile, peakPhase, phaseBounds, profileSeconds } from './profile.js';
import { queryRange } from './range-query.js';
import { ALL_SAFEGUARDS, type LabSettings, loadSettings, type Safeguards } from './settings.js';
import {
  attribute,
  isFailure,
  perPodTraffic,
  quantile,
  type ReplicaSample,
  type ServedSnapshot,
  secondStats,
  summarize,
  type Timeline,
} from './timeline.js';
import { Workload, type WorkloadEvent } from './workload.js';

export interface LabOptions {
  /** Names the run in the report and the output files, e.g. `default` or `no-drain`. */
  readonly name: string;
  /** The command line the report shows. */
  readonly command: string;
  readonly profile: LoadProfile;
  /** @defaultValue every safeguard on */
  readonly safeguards?: Safeguards;
  /** Extra values files, applied after the lab profile. */
  readonly valuesFiles?: readonly string[];
  /** @defaultValue 15 */
  readonly syncPeriodSeconds?: number;
  /** Delay before an endpoint change reaches the balancer. @defaultValue 2 */
  readonly propagationLagSeconds?: number;
  /** Keep-alive clients of the load, one connection each. @defaultValue 16 */
  readonly connections?: number;
  /** Share of requests from clients without keep-alive (a new connection each). @defaultValue 0.2 */
  readonly freshConnectionShare?: number;
  /** @defaultValue 5000 */
  readonly requestTimeoutMs?: number;
  /** Every request asks for this path; undefined: the route mix. */
  readonly requestPath?: string;
  /** How closed-loop clients retry a shed request. @defaultValue {@link RETRY_POLICY} */
  readonly retry?: RetryPolicy;
  /** Receives the live view, one line per HPA sync. */
  readonly log?: (line: string) => void;
}

/**
 * Closed-loop clients retry a shed request 3 times (4 attempts, as the AWS SDKs' standard mode and most client
 * libraries do) after the `Retry-After` it gives, waiting 10 s at the most.
 */
export const RETRY_POLICY: RetryPolicy = { maxRetries: 3, maxRetryAfterSeconds: 10 };

/** Niceness of a replica until it is ready (see WorkloadOptions.startNice). */
const START_NICE = 10;

/** How long the workload may take to get its first pods ready before the load starts. */
const SETUP_TIMEOUT_MS = 60_000;

function format(value: number | null, digits = 0): string {
  return value === null ? '-' : value.toFixed(digits);
}

/** The live view's line for one HPA sync: traffic since the last one, failed, shed and restarts so far. */
export function tickLine(
  tick: HpaTick,
  traffic: { rps: number; p99: number | null; failed: number; shed: number; restarts: number },
  targetQps: number,
): string {
  const scale =
    tick.desiredReplicas !== tick.currentReplicas ? `  scale ${tick.currentReplicas} -> ${tick.desiredReplicas}` : '';
  // The last clause of the controller's message is the cause, e.g. "no metrics returned from custom metrics API".
  const error = tick.error === null ? '' : `  (${tick.error.split('\n')[0]?.split(': ').pop()})`;
  return [
    `${format(tick.t).padStart(4)}s`,
    `traffic ${format(traffic.rps).padStart(3)} req/s`,
    `qps/pod ${format(tick.averageQps, 1).padStart(5)} (target ${targetQps})`,
    `replicas ${tick.desiredReplicas} desired / ${tick.readyReplicas} ready`,
    `p99 ${format(traffic.p99).padStart(4)} ms`,
    `failed ${traffic.failed}`,
    `shed ${traffic.shed}`,
    `restarts ${traffic.restarts}${scale}${error}`,
  ].join('  ');
}

/** Runs the lab once and returns its timeline. */
export async function runLab(options: LabOptions): Promise<Timeline> {
  const safeguards = options.safeguards ?? ALL_SAFEGUARDS;
  const syncPeriodSeconds = options.syncPeriodSeconds ?? 15;
  const lagSeconds = options.propagationLagSeconds ?? 2;
  const connections = options.connections ?? 16;
  const freshShare = options.freshConnectionShare ?? 0.2;
  const timeoutMs = options.requestTimeoutMs ?? 5_000;
  const retry = options.retry ?? RETRY_POLICY;
  const log = options.log ?? (() => {});
  const settings: LabSettings = await loadSettings(safeguards, options.valuesFiles);
  const loadSeconds = profileSeconds(options.profile);
  // Only root may give a replica its priority back once it is ready.
  const startNice = process.getuid?.() === 0 ? START_NICE : null;

  const origin = performance.now();
  const originEpoch = Date.now();
  const now = (): number => Math.round(performance.now() - origin) / 1000;

  let prometheus: RunningPrometheus | undefined;
  let balancer: Balancer | undefined;
  let workload: Workload | undefined;
  let autoscaler: Autoscaler | undefined;
  let generator: RunningLoadGenerator | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let snapshotTimer: NodeJS.Timeout | undefined;
  let finished = false;
  let targetsChain: Promise<void> = Promise.resolve();
  try {
    prometheus = await startPrometheus({
      scrapeIntervalSeconds: settings.scrapeIntervalSeconds,
      targets: [],
      jobName: settings.name,
      maxLifetimeSeconds: loadSeconds + SETUP_TIMEOUT_MS / 1000 + 120,
    });
    const running = prometheus;
    balancer = await startBalancer();
    const service = balancer;

    // Prometheus' service discovery: one update at a time, always the latest target set.
    let latestTargets: ScrapeTarget[] = [];
    const setTargets = (targets: ScrapeTarget[]): void => {
      if (finished) return;
      latestTargets = targets;
      targetsChain = targetsChain.then(() =>
        running.setTargets(latestTargets).catch((error: Error) => log(`prometheus targets: ${error.message}`)),
      );
    };

    const events: WorkloadEvent[] = [];
    workload = new Workload({
      settings,
      balancer: service,
      setTargets,
      propagationLagMs: lagSeconds * 1000,
      now,
      onEvent: (event) => events.push(event),
      // A bound on every replica's life, should this process die without stopping them.
      env: { LAB_POD_MAX_SECONDS: String(Math.ceil(loadSeconds) + 600) },
      ...(startNice === null ? {} : { startNice }),
    });
    const pods = workload;
    const replicas: ReplicaSample[] = [];
    const sample = (): void => {
      const all = pods.pods();
      replicas.push({
        t: now(),
        desired: pods.replicas,
        ready: pods.readyCount(),
        terminating: all.filter((pod) => pod.deleting).length,
        endpoints: service.endpoints().length,
      });
    };
    sampler = setInterval(sample, 500);
    pods.scale(settings.minReplicas, 'minReplicas');
    await pods.waitReady(SETUP_TIMEOUT_MS);

    // The load starts on a whole second of lab time, so per-second buckets line up with the profile.
    const loadStart = Math.ceil(now() + 0.5);
    const loadStartEpoch = originEpoch + loadStart * 1000;
    const phases = phaseBounds(options.profile).map((phase) => ({
      ...phase,
      start: phase.start + loadStart,
      end: phase.end + loadStart,
    }));
    const peak = peakPhase(phases);

    const records: RequestRecord[] = [];
    let sinceTick: RequestRecord[] = [];
    let failedSoFar = 0;
    let shedSoFar = 0;
    const ticks: HpaTick[] = [];
    let lastTickT = loadStart;
    autoscaler = new Autoscaler({
      settings,
      workload: pods,
      prometheus: running,
      now,
      syncPeriodSeconds,
      onTick: (tick) => {
        ticks.push(tick);
        const latencies = sinceTick
          .filter((record) => record[4] === undefined)
          .map(([, latency]) => latency)
          .sort((a, b) => a - b);
        const seconds = Math.max(tick.t - lastTickT, 1);
        const restarts = pods.history().reduce((sum, pod) => sum + pod.restarts, 0);
        log(
          tickLine(
            tick,
            {
              rps: sinceTick.length / seconds,
              p99: quantile(latencies, 0.99),
              failed: failedSoFar,
              shed: shedSoFar,
              restarts,
            },
            settings.targetQps,
          ),
        );
        sinceTick = [];
        lastTickT = tick.t;
      },
    });

    // Requests each ready pod has served by the end of the peak, read from the pods themselves.
    let servedAtPeakEnd: Promise<ServedSnapshot | null> = Promise.resolve(null);
    if (peak !== undefined) {
      snapshotTimer = setTimeout(
        () => {
          const t = now();
          const views = pods.pods();
          servedAtPeakEnd = pods.servedRequests().then((served) => ({
            t,
            pods: views
              .filter((pod) => pod.ready && !pod.deleting && pod.readyAt !== undefined)
              .map((pod) => ({
                pod: pod.name,
                readyForSeconds: Math.round((t - (pod.readyAt ?? t)) * 10) / 10,
                requests: served.get(pod.name) ?? 0,
              })),
          }));
        },
        Math.max(0, origin + peak.end * 1000 - performance.now()),
      );
    }

    generator = startLoadGenerator(
      {
        url: service.url,
        profile: options.profile,
        connections,
        freshShare,
        timeoutMs,
        startAt: loadStartEpoch,
        seed: 1,
        retry,
        ...(options.requestPath === undefined ? {} : { path: options.requestPath }),
      },
      (batch) => {
        for (const record of batch) {
          const shifted: RequestRecord = [record[0] + loadStart * 1000, record[1], record[2], record[3]];
          if (record[4] !== undefined) {
            shifted.push(record[4]);
            shedSoFar++;
          }
          records.push(shifted);
          sinceTick.push(shifted);
          if (isFailure(record[2], record[4])) failedSoFar++;
        }
      },
    );
    const hpaStart = setTimeout(() => autoscaler?.start(), Math.max(0, origin + loadStart * 1000 - performance.now()));
    const totals = await generator.done;
    clearTimeout(hpaStart);
    await autoscaler.stop();
    clearInterval(sampler);
    sample();
    const end = now();

    const window = settings.rateWindowSeconds;
    const perPod = await queryRange(
      running.url,
      `sum by (pod) (rate(${settings.counterName}{namespace="${settings.namespace}"}[${window}s]))`,
      originEpoch / 1000,
      originEpoch / 1000 + end,
      settings.scrapeIntervalSeconds,
    );
    const podQps: Record<string, Array<readonly [number, number]>> = {};
    for (const series of perPod) {
      const pod = series.metric.pod;
      if (pod === undefined) continue;
      podQps[pod] = series.values.map(([t, qps]) => [Math.round((t - originEpoch / 1000) * 10) / 10, qps] as const);
    }

    const connectionCounts = service.connections();
    const servedBy = attribute(
      records,
      service.routes().map((route) => ({ ...route, at: route.at - originEpoch })),
    );
    const traffic = perPodTraffic(records, servedBy);
    const durationSeconds = Math.ceil(end);
    // Whole seconds of load only: the last bucket would otherwise hold a fraction of a second of requests.
    const seconds = secondStats(records, loadStart + loadSeconds);
    const summary = summarize({
      records,
      events,
      traffic,
      seconds,
      replicas,
      ticks,
      podQps,
      peak,
      servedAtPeakEnd: await servedAtPeakEnd,
    });
    return {
      name: options.name,
      command: options.command,
      date: new Date(originEpoch).toISOString(),
      safeguards,
      settings: {
        helmArgs: settings.helmArgs,
        targetQps: settings.targetQps,
        minReplicas: settings.minReplicas,
        maxReplicas: settings.maxReplicas,
        scrapeIntervalSeconds: settings.scrapeIntervalSeconds,
        rateWindowSeconds: settings.rateWindowSeconds,
        syncPeriodSeconds,
        propagationLagSeconds: lagSeconds,
        connections,
        freshConnectionShare: freshShare,
        startNice,
        env: settings.env,
        preStopSleepSeconds: settings.preStopSleepSeconds,
        terminationGracePeriodSeconds: settings.terminationGracePeriodSeconds,
        hpaBehavior: settings.hpa.spec.behavior,
        adapterQuery: settings.rule.metricsQuery,
        ...(options.requestPath === undefined ? {} : { requestPath: options.requestPath }),
        retry,
      },
      profile: phases,
      client: totals,
      durationSeconds,
      summary,
      seconds,
      replicas,
      ticks,
      podQps,
      pods: pods.history().map((pod) => {
        const served = traffic.get(pod.name);
        return {
          name: pod.name,
          createdAt: pod.createdAt,
          readyAt: pod.readyAt ?? null,
          deletedAt: pod.deletedAt ?? null,
          exitedAt: pod.exitedAt ?? null,
          exitCode: pod.exitCode ?? null,
          connections: connectionCounts.get(pod.name)?.opened ?? 0,
          refusedConnections: connectionCounts.get(pod.name)?.refused ?? 0,
          requests: served?.requests ?? 0,
          restarts: pod.restarts,
          firstTrafficMaxMs:
            served === undefined || served.firstTraffic.length === 0 ? null : Math.max(...served.firstTraffic),
        };
      }),
      events,
      failedRequests: records.flatMap(([sentMs, latencyMs, outcome, , shed], index) =>
        isFailure(outcome, shed)
          ? [{ t: sentMs / 1000, latencyMs, outcome: String(outcome), pod: servedBy[index] ?? null }]
          : [],
      ),
    };
  } finally {
    finished = true;
    clearInterval(sampler);
    clearTimeout(snapshotTimer);
    await autoscaler?.stop();
    generator?.kill();
    await workload?.stop();
    await balancer?.close();
    await targetsChain;
    await prometheus?.stop();
  }
}
