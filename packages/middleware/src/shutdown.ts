import type { Server } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import type { Lifecycle } from './lifecycle.js';
import { exitAfterFlush, type Logger } from './logger.js';
import type { ShutdownOptions } from './options.js';
import { LifecycleState } from './states.js';

export interface Shutdown {
  /** Starts the graceful shutdown (what a signal does); a second call exits 1 at once. */
  start(reason: string): Promise<void>;
  /** Handles `shutdown.signals` from now on. */
  installSignalHandlers(): void;
  removeSignalHandlers(): void;
  /** Ends the delay early: the application was closed by other means, so there is nothing left to wait for. */
  endDelay(): void;
  /** Requests that arrived after the shutdown signal. */
  readonly requestsAfterSignal: Counter;
}

/** What a framework adapter provides to the shutdown. */
export interface ShutdownHost {
  readonly log: Logger;
  /** The application's Node server, whose connections are cut at the drain timeout. */
  server(): Server | undefined;
  /** Stops accepting, waits for in-flight requests, then runs the application's close hooks. */
  close(): Promise<void>;
}

/**
 * One process listener per signal, shared by every instance in the process (tests build many; a listener each would
 * trip Node's MaxListenersExceededWarning). The handlers run in the order they were installed.
 */
const signalHandlers = new Map<NodeJS.Signals, Set<(signal: NodeJS.Signals) => void>>();

function dispatchSignal(signal: NodeJS.Signals): void {
  for (const handler of signalHandlers.get(signal) ?? []) handler(signal);
}

function onSignal(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): void {
  let handlers = signalHandlers.get(signal);
  if (handlers === undefined) {
    handlers = new Set();
    signalHandlers.set(signal, handlers);
    process.on(signal, dispatchSignal);
  }
  handlers.add(handler);
}

function offSignal(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): void {
  const handlers = signalHandlers.get(signal);
  if (handlers === undefined || !handlers.delete(handler) || handlers.size > 0) return;
  signalHandlers.delete(signal);
  process.removeListener(signal, dispatchSignal);
}

/**
 * The drain sequence, under one overall deadline:
 * 1. readiness turns 503 at once (Kubernetes removes the pod from the Service endpoints, which takes a while to reach
 *    kube-proxy, ingresses and load balancers), responses carry `Connection: close`, and every request is still
 *    served, for `delayMs`;
 * 2. the adapter's `close()`: stop accepting, let in-flight requests finish for at most `drainTimeoutMs` (then their
 *    connections are cut), then the application's close hooks run;
 * 3. exit 0, or exit 1 past `timeoutMs` or on a second signal.
 * Fastify's own `close()` answers 503 to new requests at once, which is why it is not called at the signal.
 */
export function createShutdown(
  host: ShutdownHost,
  lifecycle: Lifecycle,
  registry: Registry,
  options: ShutdownOptions,
): Shutdown {
  const log = host.log;
  const requestsAfterSignal = new Counter({
    name: 'warmscale_shutdown_requests_total',
    help: 'Requests that arrived after the shutdown signal; many near the end of the delay mean endpoint removal is slower than shutdown.delayMs',
    registers: [registry],
  });
  let started = false;
  let endDelay = (): void => {};

  function exit(code: number): void {
    exitAfterFlush(log, options.exit, code);
  }

  async function start(reason: string): Promise<void> {
    if (started) {
      log.error({ reason }, 'second shutdown signal: exiting now');
      exit(1);
      return;
    }
    started = true;
    const deadline = setTimeout(() => {
      log.error({ timeoutMs: options.timeoutMs }, 'graceful shutdown timed out: exiting');
      exit(1);
    }, options.timeoutMs);
    log.info({ reason, delayMs: options.delayMs }, 'shutdown started: readiness is now 503, still serving');
    if (lifecycle.state !== LifecycleState.Stopping && lifecycle.state !== LifecycleState.Stopped) {
      lifecycle.transition(LifecycleState.Draining);
    }
    // Idle keep-alive connections are left open on purpose: closing one races with a client sending on it (an
    // ECONNRESET the client sees as a failed request). Each gets `Connection: close` on its next response instead.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.delayMs);
      endDelay = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    log.info({ drainTimeoutMs: options.drainTimeoutMs }, 'no longer accepting; draining in-flight requests');
    const drain = setTimeout(() => {
      log.warn({ drainTimeoutMs: options.drainTimeoutMs }, 'drain timeout: closing the remaining connections');
      host.server()?.closeAllConnections();
    }, options.drainTimeoutMs);
    try {
      await host.close();
    } catch (error) {
      log.error({ err: error }, 'closing failed');
      clearTimeout(deadline);
      exit(1);
      return;
    } finally {
      clearTimeout(drain);
    }
    clearTimeout(deadline);
    log.info({ requestsAfterSignal: (await requestsAfterSignal.get()).values[0]?.value ?? 0 }, 'shutdown complete');
    exit(0);
  }

  const handleSignal = (signal: NodeJS.Signals): void => {
    void start(signal);
  };

  return {
    start,
    requestsAfterSignal,
    installSignalHandlers() {
      for (const signal of options.signals) onSignal(signal, handleSignal);
    },
    endDelay: () => endDelay(),
    removeSignalHandlers() {
      for (const signal of options.signals) offSignal(signal, handleSignal);
    },
  };
}
