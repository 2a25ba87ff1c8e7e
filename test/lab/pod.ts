// Entry of a lab replica: the demo itself, plus a watchdog that ends it when the lab that started it is gone (a lab
// killed with SIGKILL never leaves replicas behind) or after LAB_POD_MAX_SECONDS. The timer is unref'd, so it never
// keeps the process alive and changes nothing in how the demo starts, serves or shuts down.
import { setPriority } from 'node:os';

// A replica starting up in a cluster boots and warms up on its own CPU share; on one machine it would take CPU from
// the replicas already serving. So it starts at a lower priority (LAB_START_NICE), which the lab resets when ready.
if (process.env.LAB_START_NICE) setPriority(Number(process.env.LAB_START_NICE));

const parent = process.ppid;
const maxMs = Number(process.env.LAB_POD_MAX_SECONDS ?? 3600) * 1000;
const started = Date.now();
setInterval(() => {
  // SIGKILL, not process.exit(): the exit handlers would flush logs into a pipe nobody reads any more, and wait.
  if (process.ppid !== parent || Date.now() - started > maxMs) process.kill(process.pid, 'SIGKILL');
}, 1_000).unref();

await import(new URL('../../../apps/demo/dist/main.js', import.meta.url).href);
