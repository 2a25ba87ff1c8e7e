import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, rssBytes } from './proc.js';
import { exitOf, kill, SERVER_CORE, spawnNode } from './processes.js';

/** The server variants, each a module under `servers/`. */
export const VARIANTS = {
  bare: 'Fastify alone',
  hook: 'Fastify + one empty onResponse hook',
  'diagnostics-channel': 'Fastify + one diagnostics_channel subscriber on http.server.response.finish',
  'diagnostics-channel-route': 'the same, with the route template left on the request by each wrapped route handler',
  'default-metrics': "Fastify + prom-client's collectDefaultMetrics() alone",
  warmscale: 'Fastify + @warmscale/middleware, defaults',
  'warmscale-lean': '@warmscale/middleware, no default metrics, no histogram, no recycling',
  'fastify-metrics': 'Fastify + fastify-metrics, defaults',
  'counter-hook': 'Fastify + one hand-written prom-client counter in an onResponse hook',
  'warmscale-no-recycle': 'the defaults, connection recycling off',
  'warmscale-no-default-metrics': 'the defaults, default process metrics off',
  'warmscale-no-histogram': 'the defaults, duration histogram off',
  'warmscale-no-exemplars': 'the defaults, exemplars off',
  'warmscale-traced': 'Fastify + @warmscale/middleware, defaults, exemplars inside an active span',
  'bare-traced': 'Fastify alone inside an active span (baseline of the row above)',
  'warmscale-admission':
    'Fastify + @warmscale/middleware, defaults with admission.maxInFlight 1,000,000 (never reached)',
  'warmscale-no-admission': 'the defaults, admission control off (no cap, no event-loop guard)',
  'warmscale-shed':
    'Fastify + @warmscale/middleware, admission.maxInFlight 1 taken by a held request: every other request is shed',
  'express-bare': 'Express 5 alone',
  'express-warmscale': 'Express 5 + @warmscale/middleware/express, defaults',
  'http-bare': 'a node:http listener alone',
  'http-warmscale': 'the same listener + @warmscale/middleware/http, defaults',
} as const;
export type Variant = keyof typeof VARIANTS;

/** A benchmark server running as its own process, pinned to the server core. */
export interface BenchServer {
  readonly variant: Variant;
  readonly pid: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  cpuSeconds(): number;
  rssBytes(): number;
  /** SIGKILL: a benchmark server has nothing to drain, and SIGTERM would run the middleware's shutdown delay. */
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 15_000;

export async function startServer(variant: Variant): Promise<BenchServer> {
  const script = fileURLToPath(new URL(`./servers/${variant}.js`, import.meta.url));
  const child = spawnNode(SERVER_CORE, script);
  try {
    const port = await announcedPort(child);
    const pid = child.pid as number;
    return {
      variant,
      pid,
      url: `http://127.0.0.1:${port}`,
      cpuSeconds: () => cpuSeconds(pid),
      rssBytes: () => rssBytes(pid),
      stop: () => kill(child),
    };
  } catch (error) {
    await kill(child);
    throw error;
  }
}

function announcedPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not print its port in time')), STARTUP_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      // Keep draining stdout so a chatty server can never block on a full pipe.
      child.stdout?.resume();
      const { port } = JSON.parse(line) as { port: number };
      resolve(port);
    });
    exitOf(child).then(() => {
      clearTimeout(timer);
      reject(new Error('server exited before printing its port'));
    });
  });
}
