/**
 * What only the demo reads from its environment: where it listens and how much it logs. Warm-up, shutdown,
 * connection and metrics settings are the middleware's, which reads its own `WARMSCALE_*` variables (the names the
 * Helm chart sets).
 */
export interface DemoConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
}

function port(env: NodeJS.ProcessEnv): number {
  const raw = env.PORT;
  if (raw === undefined || raw === '') return 8080;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535 (got ${JSON.stringify(raw)})`);
  }
  return value;
}

export function readConfig(env: NodeJS.ProcessEnv): DemoConfig {
  return {
    port: port(env),
    host: env.HOST || '0.0.0.0',
    logLevel: env.LOG_LEVEL || 'info',
  };
}
