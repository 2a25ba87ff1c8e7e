/**
 * A keep-alive load generator meant to run as its own process (so its CPU and sockets are not the server's or the
 * test's). It sends GETs in `concurrency` loops until told to stop over IPC, or until its hard limits, and reports
 * every outcome. Run through `startLoad()`.
 */
import { Agent, request } from 'node:http';

export interface LoadSpec {
  readonly url: string;
  readonly concurrency: number;
  /** Hard limits, so a forgotten generator always ends. */
  readonly maxRequests: number;
  readonly maxMs: number;
}

export interface LoadSummary {
  readonly sent: number;
  readonly statuses: Record<string, number>;
  /** Requests that got no HTTP response at all (reset, refused). */
  readonly errors: Record<string, number>;
  /** Connections the agent opened (a new one after each `Connection: close`). */
  readonly connections: number;
}

function send(url: string, agent: Agent): Promise<string> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
      res.on('error', (error: NodeJS.ErrnoException) => resolve(`error:${error.code ?? error.message}`));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(`error:${error.code ?? error.message}`));
    req.end();
  });
}

async function main(spec: LoadSpec): Promise<LoadSummary> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  let connections = 0;
  const createConnection = agent.createConnection.bind(agent);
  agent.createConnection = ((...args: Parameters<typeof createConnection>) => {
    connections++;
    return createConnection(...args);
  }) as typeof agent.createConnection;
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let stopping = false;
  let sent = 0;
  process.on('message', (message) => {
    if (message === 'stop') stopping = true;
  });
  const hardStop = setTimeout(() => {
    stopping = true;
  }, spec.maxMs);
  const loop = async (): Promise<void> => {
    while (!stopping && sent < spec.maxRequests) {
      sent++;
      const outcome = await send(spec.url, agent);
      const bucket = outcome.startsWith('error:') ? errors : statuses;
      const key = outcome.replace(/^error:/, '');
      bucket[key] = (bucket[key] ?? 0) + 1;
    }
  };
  process.send?.('started');
  await Promise.all(Array.from({ length: spec.concurrency }, loop));
  clearTimeout(hardStop);
  agent.destroy();
  return { sent, statuses, errors, connections };
}

if (process.send !== undefined && process.argv[2] !== undefined) {
  const summary = await main(JSON.parse(process.argv[2]) as LoadSpec);
  process.send(summary, () => process.exit(0));
}
