import type { TSchema } from '@sinclair/typebox';
import { WarmscaleOptionError } from './errors.js';
import { SETTING_LIST } from './settings.js';

/** The settings the environment gives: `{ shutdown: { delayMs: 5000 } }`, and which variable gave each option path. */
export interface EnvironmentSettings {
  readonly values: Record<string, Record<string, unknown>>;
  /** `'shutdown.delayMs'` -> `'WARMSCALE_SHUTDOWN_DELAY_MS'`, for the variables that are set. */
  readonly sources: ReadonlyMap<string, string>;
}

/** The JSON Schema types a schema accepts (`integer`, `boolean`, `string`, `array`, `null`, `false`). */
function kinds(schema: TSchema): string[] {
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as TSchema[]).flatMap(kinds);
  if (schema.const === false) return ['false'];
  return [String(schema.type)];
}

/**
 * Reads the string of one variable as its setting's type: integers and booleans (`true`/`false`) as such, lists
 * comma-separated, `false` for a setting that may be false. An empty variable counts as unset.
 */
function parse(raw: string, schema: TSchema): unknown {
  const accepts = kinds(schema);
  if (accepts.includes('false') && raw === 'false') return false;
  if (accepts.includes('integer')) return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (accepts.includes('number')) return /^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(raw) ? Number(raw) : raw;
  if (accepts.includes('boolean')) return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (accepts.includes('array')) {
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    const itemSchema = ((schema.anyOf as TSchema[] | undefined)?.find((s) => s.type === 'array') ?? schema)
      .items as TSchema;
    return itemSchema.type === 'number'
      ? items.map((item) => (/^\d*\.?\d+(e-?\d+)?$/.test(item) ? Number(item) : item))
      : items;
  }
  return raw;
}

/**
 * The `WARMSCALE_*` variables of `env`, each parsed as its setting's type. They are validated with the options
 * (options.ts), and an invalid one is reported by its variable name: `WARMSCALE_SHUTDOWN_DELAY_MS must be an integer
 * from 0 to 3600000 (got "5s")`. An unknown `WARMSCALE_*` name throws, so a typo does not pass silently.
 */
export function readEnvironment(env: Readonly<Record<string, string | undefined>>): EnvironmentSettings {
  const known = new Map(SETTING_LIST.map((setting) => [setting.env, setting]));
  const values: EnvironmentSettings['values'] = {};
  const sources = new Map<string, string>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('WARMSCALE_') || raw === undefined || raw === '') continue;
    const setting = known.get(name);
    if (setting === undefined) {
      throw new WarmscaleOptionError(`${name} is not a warmscale setting (known: ${[...known.keys()].join(', ')})`);
    }
    values[setting.section] ??= {};
    (values[setting.section] as Record<string, unknown>)[setting.key] = parse(raw, setting.schema);
    sources.set(setting.path, name);
  }
  return { values, sources };
}
