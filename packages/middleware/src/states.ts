/**
 * The lifecycle states. Each constant is at once the state name, the `state` field of every probe body and the
 * `state` label of `warmscale_lifecycle_state`.
 */
export const LifecycleState = {
  /** Registered; the server does not listen yet. */
  Starting: 'starting',
  /** Listening; warm-up steps run. Probes answer, readiness is 503 so no traffic arrives cold. */
  Warming: 'warming',
  /** Warmed up: ready for traffic (subject to the critical readiness checks). */
  Ready: 'ready',
  /** A critical warm-up step failed: startup stays 503 and the process exits 1 when the budget runs out. */
  Failed: 'failed',
  /** Shutdown signal received: readiness is 503 while the server keeps serving for `shutdown.delayMs`. */
  Draining: 'draining',
  /** No longer accepting: in-flight requests finish, then the close hooks run. */
  Stopping: 'stopping',
  /** Closed. */
  Stopped: 'stopped',
} as const;

export type LifecycleState = (typeof LifecycleState)[keyof typeof LifecycleState];

export const LIFECYCLE_STATES: readonly LifecycleState[] = Object.values(LifecycleState);

/** The transitions the lifecycle allows; anything else is a bug and throws. */
export const TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  starting: ['warming', 'draining', 'stopping'],
  warming: ['ready', 'failed', 'draining', 'stopping'],
  ready: ['draining', 'stopping'],
  failed: ['draining', 'stopping'],
  draining: ['stopping'],
  stopping: ['stopped'],
  stopped: [],
};
