import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from './logger.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * A request replayed during warm-up through the application (routing, validation, handler, serialization): with
 * Fastify's `inject`, or `light-my-request` on the Express or node:http handler; `transport: 'loopback'` sends it over
 * real HTTP instead.
 */
export interface InjectWarmupStepInput {
  /** Shown in logs and probe bodies. @defaultValue `'<METHOD> <url>'` */
  readonly name?: string;
  readonly inject: {
    readonly method?: HttpMethod;
    readonly url: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly payload?: string | Readonly<Record<string, unknown>>;
  };
  /** How many times to send it. @defaultValue `1` */
  readonly times?: number;
  /** How many at once. @defaultValue `1` */
  readonly concurrency?: number;
  /** The status (or statuses) that count as success. @defaultValue `200` */
  readonly expectStatus?: number | readonly number[];
  /** `'loopback'` sends it over real HTTP to the listening socket, warming the socket and parser path too. @defaultValue `'inject'` */
  readonly transport?: 'inject' | 'loopback';
  /** Longest the step may take. @defaultValue what remains of `warmup.budgetMs` */
  readonly timeoutMs?: number;
  /** A failed critical step fails the start-up; a non-critical one logs and warm-up goes on. @defaultValue `true` */
  readonly critical?: boolean;
}

/** An async function run during warm-up: prime a cache, open a pool, compile templates. */
export interface FunctionWarmupStepInput {
  readonly name: string;
  /** `signal` aborts when the step times out or the budget runs out. */
  readonly run: (context: WarmupContext) => unknown;
  readonly timeoutMs?: number;
  readonly critical?: boolean;
}

/** What a function step receives; the Fastify plugin adds `fastify`. */
export interface WarmupContext {
  readonly signal: AbortSignal;
}

export type WarmupStepInput = InjectWarmupStepInput | FunctionWarmupStepInput;

export type WarmupStep =
  | {
      readonly kind: 'inject';
      readonly name: string;
      readonly request: WarmupRequest;
      readonly times: number;
      readonly concurrency: number;
      readonly expectStatus: readonly number[];
      readonly transport: 'inject' | 'loopback';
      readonly timeoutMs: number | undefined;
      readonly critical: boolean;
    }
  | {
      readonly kind: 'function';
      readonly name: string;
      readonly run: FunctionWarmupStepInput['run'];
      readonly timeoutMs: number | undefined;
      readonly critical: boolean;
    };

/** Warm-up progress as the probe bodies show it. */
export interface WarmupProgress {
  total: number;
  done: number;
  failed: string[];
  running: string | undefined;
  elapsedMs: number;
}

/** Header that marks the plugin's own warm-up requests; its value is a per-process secret so clients cannot forge it. */
export const WARMUP_HEADER = 'x-warmscale-warmup';

/** A warm-up request, resolved. */
export type WarmupRequest = InjectWarmupStepInput['inject'] & { readonly method: HttpMethod };

/** What a framework adapter provides to run the warm-up. */
export interface WarmupHost {
  readonly log: Logger;
  /** Sends one request through the application in process; resolves with the response status. */
  inject(request: WarmupRequest & { readonly headers: Readonly<Record<string, string>> }): Promise<number>;
  /** The address the server listens on (for `transport: 'loopback'`). */
  address(): AddressInfo;
  /** Extra fields of the function steps' context (the Fastify plugin passes `fastify`). */
  readonly context: object;
}

export interface WarmupRun {
  readonly host: WarmupHost;
  readonly steps: readonly WarmupStep[];
  readonly budgetMs: number;
  readonly token: string;
  readonly progress: WarmupProgress;
  readonly metrics: WarmupMetrics;
  /** Aborted when shutdown starts: the running step is cancelled and no further step runs. */
  readonly stop: AbortSignal;
}

export interface WarmupMetrics {
  readonly steps: Counter<'outcome'>;
  readonly duration: Gauge;
}

export function createWarmupMetrics(registry: Registry): WarmupMetrics {
  return {
    steps: new Counter({
      name: 'warmscale_warmup_steps_total',
      help: 'Warm-up steps finished, by outcome (succeeded, failed, timed_out, cancelled by shutdown)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    duration: new Gauge({
      name: 'warmscale_warmup_duration_seconds',
      help: 'How long the warm-up took, set when it ends',
      registers: [registry],
    }),
  };
}

class StepTimeout extends Error {}

/**
 * Runs the steps in order within the total budget, each within its own timeout. Resolves true when every critical
 * step succeeded; a non-critical failure is logged and skipped.
 */
export async function runWarmup(run: WarmupRun): Promise<boolean> {
  const { host, steps, budgetMs, progress, metrics } = run;
  const log = host.log;
  const started = performance.now();
  const deadline = started + budgetMs;
  let ok = true;
  for (const step of steps) {
    if (run.stop.aborted) {
      ok = false;
      break;
    }
    progress.running = step.name;
    const remaining = Math.max(0, deadline - performance.now());
    const timeoutMs = Math.min(step.timeoutMs ?? remaining, remaining);
    const outcome = await runStep(run, step, timeoutMs);
    progress.elapsedMs = Math.round(performance.now() - started);
    metrics.steps.inc({ outcome: outcome.kind });
    if (outcome.kind === 'cancelled') {
      log.info({ step: step.name }, 'shutdown started: warm-up stopped');
      ok = false;
      break;
    }
    if (outcome.kind === 'succeeded') {
      progress.done++;
      log.info({ step: step.name, elapsedMs: progress.elapsedMs }, 'warm-up step done');
      continue;
    }
    progress.failed.push(step.name);
    const detail = { step: step.name, critical: step.critical, error: outcome.error };
    if (!step.critical) {
      log.warn(detail, 'non-critical warm-up step failed; warm-up goes on');
      continue;
    }
    log.error(detail, 'critical warm-up step failed');
    ok = false;
    break;
  }
  progress.running = undefined;
  progress.elapsedMs = Math.round(performance.now() - started);
  metrics.duration.set(progress.elapsedMs / 1000);
  return ok;
}

type Outcome = { kind: 'succeeded' } | { kind: 'failed' | 'timed_out' | 'cancelled'; error: string };

class StepCancelled extends Error {}

async function runStep(run: WarmupRun, step: WarmupStep, timeoutMs: number): Promise<Outcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new StepTimeout(`timed out after ${Math.round(timeoutMs)} ms`));
      reject(controller.signal.reason);
    }, timeoutMs);
    timer.unref();
  });
  let cancelStep = (): void => {};
  const cancelled = new Promise<never>((_, reject) => {
    cancelStep = () => {
      controller.abort(new StepCancelled('shutdown started'));
      reject(controller.signal.reason);
    };
    run.stop.addEventListener('abort', cancelStep, { once: true });
  });
  cancelled.catch(() => {});
  try {
    if (run.stop.aborted) throw new StepCancelled('shutdown started');
    const work =
      step.kind === 'function'
        ? Promise.resolve(step.run({ ...run.host.context, signal: controller.signal }))
        : replay(run, step, controller.signal);
    await Promise.race([work, timedOut, cancelled]);
    return { kind: 'succeeded' };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const kind = error instanceof StepTimeout ? 'timed_out' : error instanceof StepCancelled ? 'cancelled' : 'failed';
    return { kind, error: message };
  } finally {
    clearTimeout(timer);
    run.stop.removeEventListener('abort', cancelStep);
    controller.abort();
  }
}

async function replay(run: WarmupRun, step: Extract<WarmupStep, { kind: 'inject' }>, signal: AbortSignal) {
  const send = step.transport === 'loopback' ? loopbackSender(run) : injectSender(run);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < step.times && !signal.aborted) {
      next++;
      const status = await send(step.request);
      if (!step.expectStatus.includes(status)) {
        throw new Error(
          `${step.request.method} ${step.request.url} answered ${status}, expected ${step.expectStatus.join(' or ')}`,
        );
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(step.concurrency, step.times) }, worker));
  } finally {
    send.close?.();
  }
}

type Sender = ((request: WarmupRequest) => Promise<number>) & { close?: () => void };

function injectSender({ host, token }: WarmupRun): Sender {
  return (request) => host.inject({ ...request, headers: { ...request.headers, [WARMUP_HEADER]: token } });
}

/** Sends over a keep-alive socket to the server's own listening address (loopback when bound to all interfaces). */
function loopbackSender({ host: warmupHost, token }: WarmupRun): Sender {
  const address = warmupHost.address();
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const agent = new Agent({ keepAlive: true });
  const send: Sender = (request) =>
    new Promise((resolve, reject) => {
      const body =
        request.payload === undefined
          ? undefined
          : typeof request.payload === 'string'
            ? request.payload
            : JSON.stringify(request.payload);
      const req = httpRequest(
        {
          host,
          port: address.port,
          method: request.method,
          path: request.url,
          agent,
          headers: {
            ...(typeof request.payload === 'object' ? { 'content-type': 'application/json' } : {}),
            ...request.headers,
            [WARMUP_HEADER]: token,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  send.close = () => agent.destroy();
  return send;
}
