import { EventEmitter } from 'node:events';
import { Gauge, type Registry } from 'prom-client';
import { LIFECYCLE_STATES, LifecycleState, TRANSITIONS } from './states.js';

export interface LifecycleEvents {
  state: [state: LifecycleState, previous: LifecycleState];
  draining: [];
}

/**
 * The one state machine behind the probes, the warm-up gate and the shutdown. Applications read it as
 * `fastify.warmscale.lifecycle`: the current `state`, `ready` (a promise), `drainingSignal` (aborted when shutdown
 * starts: pass it to long polls and streams) and the `draining` event.
 */
export class Lifecycle extends EventEmitter<LifecycleEvents> {
  #state: LifecycleState = LifecycleState.Starting;
  #broken: string | undefined;
  #shutdownStartedAt: number | undefined;
  readonly #draining = new AbortController();
  readonly #gauge: Gauge<'state'>;
  #resolveReady!: () => void;
  #rejectReady!: (error: Error) => void;

  /** Resolves when warm-up has finished; rejects if a critical warm-up step failed or shutdown came first. */
  readonly ready: Promise<void> = new Promise((resolve, reject) => {
    this.#resolveReady = resolve;
    this.#rejectReady = reject;
  });

  constructor(registry: Registry) {
    super();
    // Nobody may be awaiting `ready`; its rejection must not crash the process as an unhandled rejection.
    this.ready.catch(() => {});
    this.#gauge = new Gauge({
      name: 'warmscale_lifecycle_state',
      help: 'Lifecycle state of the process: 1 for the current state, 0 for the others',
      labelNames: ['state'],
      registers: [registry],
    });
    this.#publish();
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** Aborted when shutdown starts (the `draining` state). */
  get drainingSignal(): AbortSignal {
    return this.#draining.signal;
  }

  /** `performance.now()` when shutdown started, or undefined before. */
  get shutdownStartedAt(): number | undefined {
    return this.#shutdownStartedAt;
  }

  /** True once shutdown has started: draining, stopping or stopped. */
  get shuttingDown(): boolean {
    return this.#draining.signal.aborted;
  }

  /** Why the application declared itself broken, if it did. */
  get broken(): string | undefined {
    return this.#broken;
  }

  /** Declares the process unable to serve: liveness turns 503 so the kubelet restarts the container. */
  markBroken(reason: string): void {
    this.#broken = reason;
  }

  /** Moves to `next`; throws on a transition the state machine does not allow. */
  transition(next: LifecycleState): void {
    const previous = this.#state;
    if (!TRANSITIONS[previous].includes(next)) {
      throw new Error(`lifecycle cannot go from ${previous} to ${next}`);
    }
    this.#state = next;
    this.#publish();
    if (next === LifecycleState.Ready) this.#resolveReady();
    if (next === LifecycleState.Failed) this.#rejectReady(new Error('a critical warm-up step failed'));
    if (next === LifecycleState.Draining || (next === LifecycleState.Stopping && !this.shuttingDown)) {
      this.#shutdownStartedAt = performance.now();
      this.#rejectReady(new Error('shutdown started before the process was ready'));
      this.#draining.abort(new Error('shutdown started'));
      this.emit('draining');
    }
    this.emit('state', next, previous);
  }

  #publish(): void {
    for (const state of LIFECYCLE_STATES) this.#gauge.set({ state }, state === this.#state ? 1 : 0);
  }
}
