import type { ServerResponse } from 'node:http';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Lifecycle } from './lifecycle.js';
import type { AdmissionOptions } from './options.js';

/** Why a request was shed: the concurrency cap (with slow start) or the event-loop guard. */
export type ShedReason = 'concurrency' | 'event_loop';

/** How often the event-loop guard reads the delay monitor. */
export const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * Admission control at the Node server, ahead of the framework, so a shed request costs a few microseconds and no
 * routing, parsing or handler work:
 * - every request is counted in flight until its response ends (`warmscale_requests_in_flight`);
 * - `maxInFlight` caps them (Knative's `containerConcurrency`); after readiness the cap ramps up over `slowStartMs`
 *   as Envoy's slow start ramps a new endpoint's weight: `max(minShare, (elapsed / window) ^ (1 / aggression))`;
 * - while the event loop lags more than `maxEventLoopDelayMs`, every request is shed (as @fastify/under-pressure
 *   does), so a saturated pod answers cheap 503s rather than queueing work until its liveness probe times out.
 * A shed request gets 503, `Retry-After`, `Connection: close` (the client reconnects, and kube-proxy may pick another
 * pod) and a small JSON body naming the reason. Probes and `/metrics` are never shed (the adapters exempt them).
 */
export class RequestGate {
  #inFlight = 0;
  #overloaded = false;
  /** No shedding for the loop's delay before this `performance.now()` (see the readiness handler). */
  #judgeFrom = 0;
  #readyAt: number | undefined;
  #rampDone: boolean;
  readonly #monitor: IntervalHistogram | undefined;
  readonly #sampler: NodeJS.Timeout | undefined;
  readonly #rejected: Counter<'reason'>;
  readonly #options: AdmissionOptions;
  readonly #now: () => number;
  readonly #body: Record<ShedReason, string>;

  constructor(options: AdmissionOptions, lifecycle: Lifecycle, registry: Registry, now = () => performance.now()) {
    this.#options = options;
    this.#now = now;
    this.#rampDone = options.slowStartMs === 0;
    lifecycle.on('state', (state) => {
      if (state !== 'ready') return;
      this.#readyAt = this.#now();
      // A warm-up step that held the loop (building a cache, say) is over once the pod turns ready: its stall must not
      // shed the first requests. The monitor and the sampler report it at their first ticks after it, so the guard
      // judges the loop afresh only after two sampling periods.
      this.#overloaded = false;
      this.#judgeFrom = performance.now() + 2 * EVENT_LOOP_SAMPLE_MS;
    });
    this.#rejected = new Counter({
      name: 'warmscale_admission_rejected_total',
      help: 'Requests shed with 503 by admission control, by reason (concurrency, event_loop)',
      labelNames: ['reason'],
      registers: [registry],
    });
    const gate = this;
    new Gauge({
      name: 'warmscale_requests_in_flight',
      help: 'Requests being handled at the moment of the scrape',
      registers: [registry],
      collect() {
        this.set(gate.#inFlight);
      },
    });
    this.#body = {
      concurrency: JSON.stringify({
        error: 'Service Unavailable',
        reason: 'concurrency',
        message: 'too many requests in flight on this instance; retry',
      }),
      event_loop: JSON.stringify({
        error: 'Service Unavailable',
        reason: 'event_loop',
        message: 'this instance is saturated (event loop delay); retry',
      }),
    };
    if (options.maxEventLoopDelayMs > 0) {
      const monitor = monitorEventLoopDelay({ resolution: 10 });
      monitor.enable();
      this.#monitor = monitor;
      const limitMs = options.maxEventLoopDelayMs;
      let lastSample = performance.now();
      this.#sampler = setInterval(() => {
        // The monitor sees stalls within the period; the sampler's own lateness sees the one that just ended, even
        // when the monitor's timer has not fired since.
        const now = performance.now();
        const lateMs = now - lastSample - EVENT_LOOP_SAMPLE_MS;
        lastSample = now;
        this.#overloaded = now >= this.#judgeFrom && Math.max(monitor.max / 1e6, lateMs) > limitMs;
        monitor.reset();
      }, EVENT_LOOP_SAMPLE_MS).unref();
    }
  }

  /** Requests counted in and not yet answered. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The cap on requests in flight now (`maxInFlight`, ramped during slow start); 0 for none. */
  cap(): number {
    const { maxInFlight, slowStartMs, slowStartMinShare, slowStartAggression } = this.#options;
    if (maxInFlight === 0 || this.#rampDone) return maxInFlight;
    if (this.#readyAt === undefined) return Math.max(1, Math.floor(maxInFlight * slowStartMinShare));
    const elapsed = this.#now() - this.#readyAt;
    if (elapsed >= slowStartMs) {
      this.#rampDone = true;
      return maxInFlight;
    }
    const share = Math.max(slowStartMinShare, (elapsed / slowStartMs) ** (1 / slowStartAggression));
    return Math.max(1, Math.floor(maxInFlight * share));
  }

  /** Counts a request in; returns why it must be shed instead, or undefined to serve it. Every `enter` is matched by one `leave`. */
  enter(): ShedReason | undefined {
    this.#inFlight++;
    if (this.#overloaded) return 'event_loop';
    const maxInFlight = this.#options.maxInFlight;
    if (maxInFlight > 0 && this.#inFlight > this.cap()) return 'concurrency';
    return undefined;
  }

  /** Counts a request out, whatever answered it (the response counter calls it once per request). */
  leave(): void {
    this.#inFlight--;
  }

  /** Answers a shed request (it leaves when its response ends, as any other). */
  shed(response: ServerResponse, reason: ShedReason): void {
    this.#rejected.inc({ reason });
    response.shouldKeepAlive = false;
    response.writeHead(503, {
      'content-type': 'application/json; charset=utf-8',
      'retry-after': String(this.#options.retryAfterSeconds),
      'cache-control': 'no-store',
    });
    response.end(this.#body[reason]);
  }

  close(): void {
    clearInterval(this.#sampler);
    this.#monitor?.disable();
  }
}
