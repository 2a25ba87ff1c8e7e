// What a lab run records, and the figures derived from it: per-second traffic, latency and failures from every
// request, replica counts, HPA syncs, pod events and per-replica QPS. The JSON timeline is this structure as is.
import type { HpaTick } from './autoscaler.js';
import type { RequestRecord, RetryPolicy, Shed } from './load.js';
import type { Safeguards } from './settings.js';
import type { WorkloadEvent } from './workload.js';

/** Traffic of one second of the run, by send time. */
export interface SecondStats {
  readonly t: number;
  /** Requests sent, every attempt of a retried one included. */
  readonly sent: number;
  readonly failed: number;
  /** Answers shed by admission control (503 with `Retry-After`), retried or not. */
  readonly shed: number;
  /** Shed answers the client retried (the others were the last answer of their request, a failure). */
  readonly shedRetried: number;
  /** Latency percentiles in ms over the admitted requests sent in this second (shed answers left out); null when none. */
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** Replica counts at one moment. */
export interface ReplicaSample {
  readonly t: number;
  /** `spec.replicas`, as the HPA last set it. */
  readonly desired: number;
  /** Ready and not terminating. */
  readonly ready: number;
  /** Terminating pods still running. */
  readonly terminating: number;
  /** Endpoints the balancer routes new connections to. */
  readonly endpoints: number;
}

/** One failed request, and the replica its connection went to (null: none). */
export interface FailedRequest {
  readonly t: number;
  readonly latencyMs: number;
  readonly outcome: string;
  readonly pod: string | null;
}

/** A pod over the run, times in lab seconds. */
export interface PodRecord {
  readonly name: string;
  readonly createdAt: number;
  readonly readyAt: number | null;
  readonly deletedAt: number | null;
  readonly exitedAt: number | null;
  readonly exitCode: number | string | null;
  /** Connections the balancer routed to it. */
  readonly connections: number;
  /** Connections routed to it that found its port closed. */
  readonly refusedConnections: number;
  /** Requests it served, shed or failed, as the client saw them. */
  readonly requests: number;
  /** Container restarts (after a failed startup or liveness probe, or an exit). */
  readonly restarts: number;
  /** The slowest of its requests in its first {@link FIRST_TRAFFIC_SECONDS} of traffic, ms; null without traffic. */
  readonly firstTrafficMaxMs: number | null;
}

/** Requests each ready pod had served when the peak ended. */
export interface ServedSnapshot {
  readonly t: number;
  readonly pods: ReadonlyArray<{ readonly pod: string; readonly readyForSeconds: number; readonly requests: number }>;
}

export interface ScaleEvent {
  readonly t: number;
  readonly from: number;
  readonly to: number;
}

export interface LabSummary {
  /** Requests sent, every attempt of a retried one included. */
  readonly requests: number;
  /** Requests whose last answer failed: an error, a status outside 2xx and 3xx, a shed answer not retried. */
  readonly failed: number;
  /** Failed requests by HTTP status or error code. */
  readonly failures: Readonly<Record<string, number>>;
  /** Answers shed by admission control (503 with `Retry-After`), by the reason their body gave. */
  readonly shed: Readonly<Record<string, number>>;
  /** Shed answers the client retried (the others count as failed). */
  readonly shedRetried: number;
  /** Container restarts over the run, and how many followed a failed liveness probe. */
  readonly restarts: number;
  readonly livenessRestarts: number;
  readonly scaleEvents: readonly ScaleEvent[];
  readonly maxDesired: number;
  readonly maxReady: number;
  readonly finalDesired: number;
  readonly finalReady: number;
  /** Latency p99 of the admitted requests over the whole run (shed answers left out), ms. */
  readonly p99Ms: number;
  /** The worst per-second p99, ms. */
  readonly worstSecondP99Ms: number;
  /** Requests that took a second or more (failed ones included). */
  readonly slowRequests: number;
  /**
   * Latency of the requests each replica served in its first {@link FIRST_TRAFFIC_SECONDS} of traffic: where a
   * replica that takes traffic cold shows, whatever else the machine is doing.
   */
  readonly firstTraffic: { readonly requests: number; readonly p99Ms: number; readonly maxMs: number };
  /** Mean QPS of each pod over the second half of the peak (from Prometheus), by pod. */
  readonly peakQpsByPod: Readonly<Record<string, number>>;
  readonly servedAtPeakEnd: ServedSnapshot | null;
}

export interface Timeline {
  readonly name: string;
  readonly command: string;
  readonly date: string;
  readonly safeguards: Safeguards;
  readonly settings: {
    readonly helmArgs: readonly string[];
    readonly targetQps: number;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly scrapeIntervalSeconds: number;
    readonly rateWindowSeconds: number;
    readonly syncPeriodSeconds: number;
    readonly propagationLagSeconds: number;
    readonly connections: number;
    readonly freshConnectionShare: number;
    /** Niceness of replicas until ready, null when they start at the normal priority. */
    readonly startNice: number | null;
    readonly env: Readonly<Record<string, string>>;
    readonly preStopSleepSeconds: number;
    readonly terminationGracePeriodSeconds: number;
    readonly hpaBehavior: unknown;
    readonly adapterQuery: string;
    /** The path every request asks for; undefined: the route mix. */
    readonly requestPath?: string;
    /** How closed-loop clients retry a shed request. */
    readonly retry?: RetryPolicy;
  };
  /** The load phases in lab time (the load starts once the first pods are ready). */
  readonly profile: ReadonlyArray<{
    readonly name: string;
    readonly start: number;
    readonly end: number;
    readonly rps: number;
    readonly clients?: number;
  }>;
  /**
   * Requests sent (every attempt), keep-alive connections opened, requests sent on a connection of their own,
   * closed-loop clients started.
   */
  readonly client: {
    readonly sent: number;
    readonly connections: number;
    readonly fresh: number;
    readonly clients?: number;
  };
  readonly durationSeconds: number;
  readonly summary: LabSummary;
  readonly seconds: readonly SecondStats[];
  readonly replicas: readonly ReplicaSample[];
  readonly ticks: readonly HpaTick[];
  /** Per-replica QPS from Prometheus: `[t, qps]` points by pod. */
  readonly podQps: Readonly<Record<string, ReadonlyArray<readonly [number, number]>>>;
  readonly pods: readonly PodRecord[];
  readonly events: readonly WorkloadEvent[];
  readonly failedRequests: readonly FailedRequest[];
}

/** A request this slow counts as slow in the summary. */
export const SLOW_MS = 1_000;

/** How long after a replica's first request its requests count as its first traffic. */
export const FIRST_TRAFFIC_SECONDS = 10;

/** Where one accepted connection went, in lab ms: the client's port and the endpoint (null: none). */
export interface TimedRoute {
  readonly port: number;
  readonly at: number;
  readonly endpoint: string | null;
}

/**
 * The replica that served each request: the endpoint of the last connection from the request's local port accepted
 * before it was sent (or within a second after, for a request that opened its connection); null when it had no
 * connection or the balancer had no endpoint for it.
 */
export function attribute(records: readonly RequestRecord[], routes: readonly TimedRoute[]): Array<string | null> {
  const byPort = new Map<number, TimedRoute[]>();
  for (const route of routes) {
    const list = byPort.get(route.port);
    if (list === undefined) byPort.set(route.port, [route]);
    else list.push(route);
  }
  return records.map(([sentMs, , , port]) => {
    const list = byPort.get(port);
    if (port === 0 || list === undefined) return null;
    for (let i = list.length - 1; i >= 0; i--) {
      const route = list[i] as TimedRoute;
      if (route.at <= sentMs + 1_000) return route.endpoint;
    }
    return null;
  });
}

/**
 * Per pod: requests (shed ones included) and the latencies of the admitted requests in its first
 * {@link FIRST_TRAFFIC_SECONDS} of traffic.
 */
export function perPodTraffic(
  records: readonly RequestRecord[],
  pods: ReadonlyArray<string | null>,
): Map<string, { requests: number; firstTraffic: number[] }> {
  const traffic = new Map<string, { requests: number; firstAt: number; firstTraffic: number[] }>();
  records.forEach(([sentMs, latencyMs, , , shed], index) => {
    const pod = pods[index];
    if (pod === null || pod === undefined) return;
    let entry = traffic.get(pod);
    if (entry === undefined) {
      entry = { requests: 0, firstAt: sentMs, firstTraffic: [] };
      traffic.set(pod, entry);
    }
    entry.requests++;
    if (shed === undefined && sentMs < entry.firstAt + FIRST_TRAFFIC_SECONDS * 1000) entry.firstTraffic.push(latencyMs);
  });
  return new Map(
    [...traffic].map(([pod, entry]) => [pod, { requests: entry.requests, firstTraffic: entry.firstTraffic }]),
  );
}

/**
 * A request failed when it got no response, or a status outside 2xx and 3xx; a shed answer the client retried is not
 * the request's outcome yet.
 */
export function isFailure(outcome: number | string, shed?: Shed): boolean {
  if (shed?.retried === true) return false;
  return typeof outcome !== 'number' || outcome < 200 || outcome >= 400;
}

/** The `q`-quantile of ascending `sorted` (nearest rank), or null for none. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? null;
}

/** Per-second stats of `records` for seconds 0 to `seconds - 1`. */
export function secondStats(records: readonly RequestRecord[], seconds: number): SecondStats[] {
  const buckets = Array.from({ length: seconds }, () => ({
    latencies: [] as number[],
    sent: 0,
    failed: 0,
    shed: 0,
    shedRetried: 0,
  }));
  for (const [sentMs, latencyMs, outcome, , shed] of records) {
    const bucket = buckets[Math.floor(sentMs / 1000)];
    if (bucket === undefined) continue;
    bucket.sent++;
    if (shed === undefined) bucket.latencies.push(latencyMs);
    else {
      bucket.shed++;
      if (shed.retried) bucket.shedRetried++;
    }
    if (isFailure(outcome, shed)) bucket.failed++;
  }
  return buckets.map((bucket, t) => {
    const sorted = bucket.latencies.sort((a, b) => a - b);
    return {
      t,
      sent: bucket.sent,
      failed: bucket.failed,
      shed: bucket.shed,
      shedRetried: bucket.shedRetried,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted.length === 0 ? null : (sorted[sorted.length - 1] ?? null),
    };
  });
}

/** Scale events in the order the HPA made them. */
export function scaleEvents(ticks: readonly HpaTick[]): ScaleEvent[] {
  return ticks
    .filter((tick) => tick.desiredReplicas !== tick.currentReplicas)
    .map((tick) => ({ t: tick.t, from: tick.currentReplicas, to: tick.desiredReplicas }));
}

/** Mean of each pod's `[t, qps]` points within `[from, to]`; pods without points there are left out. */
export function meanQps(
  podQps: Readonly<Record<string, ReadonlyArray<readonly [number, number]>>>,
  from: number,
  to: number,
): Record<string, number> {
  const means: Record<string, number> = {};
  for (const [pod, points] of Object.entries(podQps)) {
    const inside = points.filter(([t]) => t >= from && t <= to).map(([, qps]) => qps);
    if (inside.length > 0) means[pod] = inside.reduce((a, b) => a + b, 0) / inside.length;
  }
  return means;
}

/** Restarts of the run's pods, and those that followed a failed liveness probe, from the workload's events. */
export function restartCounts(events: readonly WorkloadEvent[]): { restarts: number; livenessRestarts: number } {
  let restarts = 0;
  let livenessRestarts = 0;
  const killedBy = new Map<string, WorkloadEvent['kind']>();
  for (const event of events) {
    if (event.pod === undefined) continue;
    if (event.kind === 'liveness-failed' || event.kind === 'startup-failed') killedBy.set(event.pod, event.kind);
    if (event.kind === 'restarted') {
      restarts++;
      if (killedBy.get(event.pod) === 'liveness-failed') livenessRestarts++;
      killedBy.delete(event.pod);
    }
  }
  return { restarts, livenessRestarts };
}

/** The summary figures of a run. */
export function summarize(input: {
  readonly records: readonly RequestRecord[];
  readonly events: readonly WorkloadEvent[];
  readonly traffic: ReadonlyMap<string, { readonly requests: number; readonly firstTraffic: readonly number[] }>;
  readonly seconds: readonly SecondStats[];
  readonly replicas: readonly ReplicaSample[];
  readonly ticks: readonly HpaTick[];
  readonly podQps: Readonly<Record<string, ReadonlyArray<readonly [number, number]>>>;
  readonly peak: { readonly start: number; readonly end: number } | undefined;
  readonly servedAtPeakEnd: ServedSnapshot | null;
}): LabSummary {
  const failures: Record<string, number> = {};
  const shed: Record<string, number> = {};
  let shedRetried = 0;
  const latencies: number[] = [];
  for (const [, latencyMs, outcome, , shedAnswer] of input.records) {
    if (shedAnswer === undefined) latencies.push(latencyMs);
    else {
      const reason = shedAnswer.reason || 'unknown';
      shed[reason] = (shed[reason] ?? 0) + 1;
      if (shedAnswer.retried) shedRetried++;
    }
    if (isFailure(outcome, shedAnswer)) failures[String(outcome)] = (failures[String(outcome)] ?? 0) + 1;
  }
  latencies.sort((a, b) => a - b);
  const first = [...input.traffic.values()].flatMap((pod) => pod.firstTraffic).sort((a, b) => a - b);
  const last = input.replicas[input.replicas.length - 1];
  const peak = input.peak;
  return {
    requests: input.records.length,
    failed: Object.values(failures).reduce((a, b) => a + b, 0),
    failures,
    shed,
    shedRetried,
    ...restartCounts(input.events),
    scaleEvents: scaleEvents(input.ticks),
    maxDesired: Math.max(0, ...input.replicas.map((sample) => sample.desired)),
    maxReady: Math.max(0, ...input.replicas.map((sample) => sample.ready)),
    finalDesired: last?.desired ?? 0,
    finalReady: last?.ready ?? 0,
    p99Ms: quantile(latencies, 0.99) ?? 0,
    worstSecondP99Ms: Math.max(0, ...input.seconds.map((second) => second.p99 ?? 0)),
    slowRequests: latencies.filter((latency) => latency >= SLOW_MS).length,
    firstTraffic: {
      requests: first.length,
      p99Ms: quantile(first, 0.99) ?? 0,
      maxMs: first[first.length - 1] ?? 0,
    },
    peakQpsByPod: peak === undefined ? {} : meanQps(input.podQps, (peak.start + peak.end) / 2, peak.end),
    servedAtPeakEnd: input.servedAtPeakEnd,
  };
}

/**
 * Reads a JSON timeline, filling in what a timeline written before the spike profile lacks: nothing shed, no container
 * restarts (that lab restarted none).
 */
export function readTimeline(json: string): Timeline {
  const raw = JSON.parse(json) as Timeline;
  return {
    ...raw,
    summary: {
      ...raw.summary,
      shed: raw.summary.shed ?? {},
      shedRetried: raw.summary.shedRetried ?? 0,
      restarts: raw.summary.restarts ?? 0,
      livenessRestarts: raw.summary.livenessRestarts ?? 0,
    },
    seconds: raw.seconds.map((second) => ({
      ...second,
      shed: second.shed ?? 0,
      shedRetried: second.shedRetried ?? 0,
    })),
    pods: raw.pods.map((pod) => ({ ...pod, restarts: pod.restarts ?? 0 })),
  };
}
