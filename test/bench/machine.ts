import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, machine, release, totalmem, type } from 'node:os';
import { PINNED } from './processes.js';
import { wrkVersion } from './wrk.js';

/** What the figures were measured on; the report leads with it, since every figure depends on it. */
export interface Machine {
  readonly cores: number;
  readonly cpuModel: string;
  readonly arch: string;
  /** The kernel reports a hypervisor: a VM, whose cores a neighbour may steal. */
  readonly virtual: boolean;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** Servers and load were pinned to separate cores with taskset. */
  readonly pinned: boolean;
  /** Versions of the packages under test and of the load generator. */
  readonly packages: Readonly<Record<string, string>>;
}

const PACKAGES = [
  '@warmscale/middleware',
  'fastify',
  'fastify-metrics',
  'prom-client',
  'autocannon',
  '@opentelemetry/sdk-trace-base',
  'express5',
];

function cpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

export function describeMachine(): Machine {
  const info = cpuinfo();
  const require = createRequire(import.meta.url);
  return {
    // Not availableParallelism(): the harness has pinned itself to one core by the time it describes the machine.
    cores: cpus().length,
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown',
    arch: machine(),
    virtual: /^flags\s*:.*\bhypervisor\b/m.test(info),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    pinned: PINNED,
    packages: {
      ...Object.fromEntries(
        PACKAGES.map((name) => [name, (require(`${name}/package.json`) as { version: string }).version]),
      ),
      wrk: wrkVersion(),
    },
  };
}
