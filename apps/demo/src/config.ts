/** Settings the demo reads from its environment (the Helm chart sets them under the same names). */
export interface DemoConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
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

export function readConfig(env: NodeJS.ProcessEnv): DemoConfig {
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    logLevel: env.LOG_LEVEL || 'info',
  };
}
