import type { WarmscaleOptionsInput } from '@warmscale/middleware';

/**
 * Settings the demo reads from its environment. The Helm chart sets the same names, so operators tune probes,
 * warm-up and shutdown without code.
 */
export interface DemoConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  readonly warmup: boolean;
  readonly warmscale: WarmscaleOptionsInput;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

function optionalInteger(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  return env[name] === undefined || env[name] === '' ? undefined : integer(env, name, 0, min, max);
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on' || raw === 'true' || raw === '1') return true;
  if (raw === 'off' || raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be on or off (got ${JSON.stringify(raw)})`);
}

const HOUR_MS = 3_600_000;

export function readConfig(env: NodeJS.ProcessEnv): DemoConfig {
  const warmup = onOff(env, 'WARMUP', true);
  const gracePeriodSeconds = optionalInteger(env, 'TERMINATION_GRACE_PERIOD_SECONDS', 0, 86_400);
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    logLevel: env.LOG_LEVEL || 'info',
    warmup,
    warmscale: {
      warmup: { enabled: warmup, budgetMs: integer(env, 'WARMUP_BUDGET_MS', 30_000, 1, HOUR_MS) },
      shutdown: {
        delayMs: integer(env, 'SHUTDOWN_DELAY_MS', 5_000, 0, HOUR_MS),
        drainTimeoutMs: integer(env, 'SHUTDOWN_DRAIN_TIMEOUT_MS', 10_000, 0, HOUR_MS),
        timeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 20_000, 1, HOUR_MS),
        preStopSleepSeconds: integer(env, 'PRESTOP_SLEEP_SECONDS', 0, 0, 3600),
        ...(gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds }),
      },
      connections: {
        maxRequests: integer(env, 'CONNECTION_MAX_REQUESTS', 1_000, 0, 1_000_000_000),
        maxAgeMs: integer(env, 'CONNECTION_MAX_AGE_MS', 30_000, 0, HOUR_MS * 24),
      },
    },
  };
}
