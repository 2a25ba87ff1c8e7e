// The few @warmscale/middleware settings the linter reads from a container's environment. This package does not depend
// on the middleware: the names follow the middleware's rule (`shutdown.timeoutMs` -> WARMSCALE_SHUTDOWN_TIMEOUT_MS,
// as OpenTelemetry derives OTEL_* names), and a cross-package test holds this table to the middleware's declaration.

/** One middleware setting as the linter uses it. */
export interface AppSetting {
  /** Option path in the middleware, e.g. `shutdown.timeoutMs`. */
  readonly path: string;
  /** Its environment variable, e.g. `WARMSCALE_SHUTDOWN_TIMEOUT_MS`. */
  readonly env: string;
  /** The middleware's default, used when the container does not set the variable. */
  readonly defaultValue: number | boolean;
}

/** `shutdown.timeoutMs` -> `WARMSCALE_SHUTDOWN_TIMEOUT_MS`: the middleware's naming rule. */
export function appEnvName(path: string): string {
  return `WARMSCALE_${path
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('_')}`;
}

function setting(path: string, defaultValue: number | boolean): AppSetting {
  return { path, env: appEnvName(path), defaultValue };
}

/** The settings the linter reads, with the middleware's defaults. */
export const APP_SETTINGS = {
  warmupEnabled: setting('warmup.enabled', true),
  warmupBudgetMs: setting('warmup.budgetMs', 30_000),
  shutdownTimeoutMs: setting('shutdown.timeoutMs', 20_000),
} as const satisfies Record<string, AppSetting>;

/** The prefix of every middleware variable: a container that sets one runs the middleware. */
export const APP_ENV_PREFIX = 'WARMSCALE_';
