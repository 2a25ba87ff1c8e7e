import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { waitForStatus } from '../support/http.js';
import { pin, SERVER_CORE } from './processes.js';

/** The demo service started for a scenario, pinned to the server core, with the time it took to turn ready. */
export interface ReadyDemo {
  readonly demo: DemoProcess;
  /** From spawning the process to `/readyz` answering 200. */
  readonly readyAfterMs: number;
}

const READY_TIMEOUT_MS = 60_000;

/** Starts the demo and waits until it is ready the way Kubernetes decides it: `/startupz`, then `/readyz`, 200. */
export async function startReadyDemo(env: Record<string, string>): Promise<ReadyDemo> {
  const startedAt = performance.now();
  const demo = await startDemo(env);
  try {
    pin(demo.pid, SERVER_CORE);
    await waitForStatus(`${demo.url}/startupz`, 200, READY_TIMEOUT_MS);
    await waitForStatus(`${demo.url}/readyz`, 200, READY_TIMEOUT_MS);
    return { demo, readyAfterMs: performance.now() - startedAt };
  } catch (error) {
    await demo.stop('SIGKILL');
    throw error;
  }
}
