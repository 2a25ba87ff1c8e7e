// The Deployment, its ReplicaSet, the kubelet and the endpoint controller, for replicas that are local processes.
// Each pod runs the demo with the container environment the chart renders; the kubelet part runs the chart's startup,
// readiness and liveness probes with their periods and thresholds, kills a container that fails its startup or
// liveness probe (preStop, SIGTERM, grace period) and restarts it after the crash-loop back-off, and on deletion runs
// the preStop sleep, SIGTERM and the grace period. A pod joins the Service only when ready and leaves it when it stops being ready or is deleted, each
// change reaching the balancer after a propagation lag, as endpoint changes reach kube-proxy in a cluster.
import { createHash, randomBytes } from 'node:crypto';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import type { ScrapeTarget } from '../support/prometheus.js';
import type { Balancer, Endpoint } from './balancer.js';
import { fetchText, httpProbe, sumSamples } from './probe.js';
import type { LabSettings, ProbeSettings } from './settings.js';

/** Something that happened to the workload, at lab time `t` (seconds). */
export interface WorkloadEvent {
  readonly t: number;
  readonly kind:
    | 'scale'
    | 'pod-created'
    | 'container-started'
    | 'started'
    | 'ready'
    | 'unready'
    | 'deleted'
    | 'prestop-done'
    | 'sigterm'
    | 'sigkill'
    | 'exited'
    | 'startup-failed'
    | 'liveness-failed'
    | 'back-off'
    | 'restarted'
    | 'endpoints';
  readonly pod?: string;
  readonly detail?: string;
}

/** A pod as `kubectl get pods` would describe it, times in lab seconds. */
export interface PodView {
  readonly name: string;
  readonly createdAt: number;
  readonly startedAt: number | undefined;
  readonly readyAt: number | undefined;
  readonly deletedAt: number | undefined;
  readonly exitedAt: number | undefined;
  readonly exitCode: number | string | undefined;
  readonly ready: boolean;
  readonly deleting: boolean;
  readonly restarts: number;
  readonly port: number | undefined;
}

export interface WorkloadOptions {
  readonly settings: LabSettings;
  readonly balancer: Balancer;
  /** Receives the pods to scrape whenever the set changes (Prometheus' service discovery). */
  readonly setTargets: (targets: ScrapeTarget[]) => void;
  /** Delay between an endpoint change and the balancer applying it. */
  readonly propagationLagMs: number;
  /** Lab time in seconds. */
  readonly now: () => number;
  readonly onEvent: (event: WorkloadEvent) => void;
  /** Extra container environment (e.g. LOG_LEVEL). */
  readonly env?: Readonly<Record<string, string>>;
  /** The kubelet's restart back-off. @defaultValue {@link LAB_CRASH_LOOP_BACK_OFF} */
  readonly crashLoopBackOff?: CrashLoopBackOff;
  /**
   * Niceness a replica runs at until it is first ready, so that booting and warming up take no CPU from the replicas
   * already serving, as on separate nodes. Needs the privilege to lower a niceness again (root); undefined: off.
   */
  readonly startNice?: number;
}

/** The replica's entry point: the demo under a watchdog that ends it if the lab is gone. */
const POD_ENTRY = fileURLToPath(new URL('./pod.js', import.meta.url));

// Kubernetes' alphabet for generated name suffixes (no vowels, no look-alike digits).
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The kubelet's back-off between restarts of a container, in ms. */
export interface CrashLoopBackOff {
  /** The wait before the second restart (the first one is immediate); every later one doubles it. */
  readonly initialMs: number;
  /** The longest wait. A container that ran twice this long before it exited starts over from no wait. */
  readonly maxMs: number;
}

/**
 * The kubelet's back-off (10 s doubling up to 300 s, `MaxContainerBackOff` in pkg/kubelet), shortened ten times, as the
 * lab values shorten the HPA's 300 s scale-down window to 30 s.
 */
export const LAB_CRASH_LOOP_BACK_OFF: CrashLoopBackOff = { initialMs: 1_000, maxMs: 30_000 };

/**
 * The restart delays of one container, as the kubelet's `doBackOff` draws them from client-go's
 * `flowcontrol.Backoff` (no jitter): no wait at the first exit; then the current back-off, which doubles up to the
 * maximum at each restart; forgotten when the container exits more than twice the maximum after its last restart.
 */
export class RestartBackOff {
  #backOffMs = 0;
  #lastRestartAt: number | undefined;

  constructor(readonly settings: CrashLoopBackOff) {}

  /** How long to wait before restarting a container that exited at `exitedAt` (ms, any clock); records the restart. */
  next(exitedAt: number): number {
    const { initialMs, maxMs } = this.settings;
    let waitMs: number;
    if (this.#lastRestartAt === undefined || exitedAt - this.#lastRestartAt > 2 * maxMs) {
      waitMs = 0;
      this.#backOffMs = initialMs;
    } else {
      waitMs = this.#backOffMs;
      this.#backOffMs = Math.min(this.#backOffMs * 2, maxMs);
    }
    this.#lastRestartAt = exitedAt + waitMs;
    return waitMs;
  }
}

function encode(bytes: Uint8Array, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHABET[(bytes[i] ?? 0) % ALPHABET.length];
  return text;
}

class Pod {
  readonly createdAt: number;
  startedAt: number | undefined;
  readyAt: number | undefined;
  deletedAt: number | undefined;
  exitedAt: number | undefined;
  exitCode: number | string | undefined;
  ready = false;
  deleting = false;
  /** The kubelet is killing the container after a failed startup or liveness probe. */
  killing = false;
  /** The generation of the container last sent SIGTERM: a second SIGTERM would make the app exit at once. */
  sigtermGeneration: number | undefined;
  restarts = 0;
  readonly backOff: RestartBackOff;
  process: DemoProcess | undefined;
  starting: Promise<DemoProcess | undefined> | undefined;
  timers = new Set<NodeJS.Timeout>();
  /** Bumped at every container (re)start and at deletion, so callbacks of an older container do nothing. */
  generation = 0;

  constructor(
    readonly name: string,
    createdAt: number,
    backOff: CrashLoopBackOff,
  ) {
    this.createdAt = createdAt;
    this.backOff = new RestartBackOff(backOff);
  }

  get port(): number | undefined {
    return this.process?.port;
  }

  view(): PodView {
    return {
      name: this.name,
      createdAt: this.createdAt,
      startedAt: this.startedAt,
      readyAt: this.readyAt,
      deletedAt: this.deletedAt,
      exitedAt: this.exitedAt,
      exitCode: this.exitCode,
      ready: this.ready,
      deleting: this.deleting,
      restarts: this.restarts,
      port: this.port,
    };
  }

  clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** A Deployment of the demo, scaled by {@link Workload.scale} (what the HPA's scale subresource update does). */
export class Workload {
  readonly #options: WorkloadOptions;
  readonly #pods = new Map<string, Pod>();
  readonly #history: Pod[] = [];
  readonly #templateHash: string;
  #replicas = 0;
  #stopped = false;

  constructor(options: WorkloadOptions) {
    this.#options = options;
    const digest = createHash('sha256').update(JSON.stringify(options.settings.env)).digest();
    this.#templateHash = encode(digest, 10);
  }

  /** `spec.replicas`. */
  get replicas(): number {
    return this.#replicas;
  }

  /** Every pod that still exists (terminating ones included). */
  pods(): PodView[] {
    return [...this.#pods.values()].map((pod) => pod.view());
  }

  /** Every pod ever created, in creation order, gone ones included. */
  history(): PodView[] {
    return this.#history.map((pod) => pod.view());
  }

  /** Pods that are ready and not terminating (the Deployment's `readyReplicas`). */
  readyCount(): number {
    return [...this.#pods.values()].filter((pod) => pod.ready && !pod.deleting).length;
  }

  /** Sets `spec.replicas`: creates pods, or deletes them in the ReplicaSet controller's order. */
  scale(replicas: number, reason = ''): void {
    if (this.#stopped) return;
    const from = this.#replicas;
    this.#replicas = replicas;
    if (from !== replicas) this.#emit('scale', undefined, `${from} -> ${replicas}${reason ? ` (${reason})` : ''}`);
    const alive = [...this.#pods.values()].filter((pod) => !pod.deleting);
    for (let i = alive.length; i < replicas; i++) this.#create();
    if (alive.length > replicas) {
      for (const pod of this.#deletionOrder(alive).slice(0, alive.length - replicas)) this.#delete(pod);
    }
  }

  /** Resolves once every existing pod is ready (or `timeoutMs` passes, then rejects). */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.readyCount() < this.#replicas || this.#options.balancer.endpoints().length < this.#replicas) {
      if (Date.now() > deadline)
        throw new Error(`pods not ready within ${timeoutMs} ms: ${JSON.stringify(this.pods())}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Requests each existing pod has counted so far (its own `/metrics`), by pod name. */
  async servedRequests(): Promise<Map<string, number | undefined>> {
    const counts = await Promise.all(
      [...this.#pods.values()].map(async (pod) => {
        const port = pod.port;
        const text = port === undefined ? undefined : await fetchText(port, '/metrics', 2_000);
        return [
          pod.name,
          text === undefined ? undefined : sumSamples(text, this.#options.settings.counterName),
        ] as const;
      }),
    );
    return new Map(counts);
  }

  /** Ends the rehearsal: stops every probe and kills every pod (SIGKILL: nothing is measured any more). */
  async stop(): Promise<void> {
    this.#stopped = true;
    const exits: Promise<unknown>[] = [];
    for (const pod of this.#pods.values()) {
      pod.clearTimers();
      pod.generation++;
      exits.push(
        (async () => {
          const process = await pod.starting;
          await process?.stop('SIGKILL');
        })(),
      );
    }
    await Promise.all(exits);
  }

  #emit(kind: WorkloadEvent['kind'], pod?: string, detail?: string): void {
    this.#options.onEvent({
      t: this.#options.now(),
      kind,
      ...(pod === undefined ? {} : { pod }),
      ...(detail === undefined ? {} : { detail }),
    });
  }

  #create(): void {
    let name: string;
    do {
      name = `${this.#options.settings.name}-${this.#templateHash}-${encode(randomBytes(5), 5)}`;
    } while (this.#pods.has(name));
    const pod = new Pod(name, this.#options.now(), this.#options.crashLoopBackOff ?? LAB_CRASH_LOOP_BACK_OFF);
    this.#pods.set(name, pod);
    this.#history.push(pod);
    this.#emit('pod-created', name);
    this.#startContainer(pod);
  }

  #timer(pod: Pod, ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      pod.timers.delete(timer);
      run();
    }, ms);
    pod.timers.add(timer);
  }

  #startContainer(pod: Pod): void {
    const { settings } = this.#options;
    const generation = ++pod.generation;
    pod.killing = false;
    const env = {
      ...settings.env,
      ...this.#options.env,
      ...(this.#options.startNice === undefined ? {} : { LAB_START_NICE: String(this.#options.startNice) }),
      PORT: '0',
      HOST: '127.0.0.1',
      POD_NAME: pod.name,
      POD_NAMESPACE: settings.namespace,
    };
    pod.starting = startDemo(env, POD_ENTRY).then(
      (process) => {
        pod.process = process;
        pod.startedAt ??= this.#options.now();
        this.#emit('container-started', pod.name, `pid ${process.pid}, port ${process.port}`);
        this.#updateTargets();
        void process.exited.then((code) => this.#onExit(pod, generation, code));
        return process;
      },
      (error: Error) => {
        this.#emit('exited', pod.name, `failed to start: ${error.message.split('\n')[0]}`);
        if (generation === pod.generation && !pod.deleting && !this.#stopped) this.#crashed(pod);
        return undefined;
      },
    );
    // The kubelet probes from container start; until the app listens, every probe fails (connection refused).
    this.#probeLoop(pod, generation, settings.startupProbe, 'startup');
  }

  #probeLoop(pod: Pod, generation: number, probe: ProbeSettings, kind: 'startup' | 'readiness' | 'liveness'): void {
    let failures = 0;
    let due = performance.now();
    const tick = async (): Promise<void> => {
      if (generation !== pod.generation || this.#stopped) return;
      // A ticker, as the kubelet's prober worker uses: periods count from probe start to probe start.
      due += probe.periodSeconds * 1000;
      // The kubelet stops liveness probing once a pod is terminating (kubernetes#98571); readiness no longer matters.
      // A container being killed is probed for readiness only, until it exits.
      if (pod.deleting || (pod.killing && kind !== 'readiness')) return;
      const port = pod.port;
      const ok = port !== undefined && (await httpProbe(port, probe.path, probe.timeoutSeconds * 1000));
      if (generation !== pod.generation || pod.deleting || this.#stopped) return;
      if (pod.killing && kind !== 'readiness') return;
      failures = ok ? 0 : failures + 1;
      if (kind === 'startup') {
        if (ok) {
          this.#emit('started', pod.name);
          // The kubelet runs the readiness probe at once when the startup probe succeeds (prober_manager.go
          // UpdatePodStatus), then every period; liveness starts with its own period.
          this.#probeLoop(pod, generation, this.#options.settings.readinessProbe, 'readiness');
          this.#timer(pod, this.#options.settings.livenessProbe.periodSeconds * 1000, () =>
            this.#probeLoop(pod, generation, this.#options.settings.livenessProbe, 'liveness'),
          );
          return;
        }
        if (failures >= probe.failureThreshold) {
          this.#emit('startup-failed', pod.name, `startup probe failed ${failures} times`);
          this.#kill(pod, generation);
          return;
        }
      } else if (kind === 'readiness') {
        if (ok && !pod.ready) {
          pod.ready = true;
          pod.readyAt ??= this.#options.now();
          this.#emit('ready', pod.name);
          this.#restorePriority(pod);
          this.#updateEndpoints();
        } else if (!ok && pod.ready && failures >= probe.failureThreshold) {
          pod.ready = false;
          this.#emit('unready', pod.name, `readiness probe failed ${failures} times`);
          this.#updateEndpoints();
        }
      } else if (failures >= probe.failureThreshold) {
        this.#emit('liveness-failed', pod.name, `liveness probe failed ${failures} times`);
        this.#kill(pod, generation);
        return;
      }
      this.#timer(pod, Math.max(0, due - performance.now()), () => void tick());
    };
    void tick();
  }

  #restorePriority(pod: Pod): void {
    const pid = pod.process?.pid;
    if (this.#options.startNice === undefined || pid === undefined) return;
    try {
      setPriority(pid, 0);
    } catch {
      // Without the privilege the replica keeps its start niceness, like every other replica.
    }
  }

  /**
   * Kills a container that failed its startup or liveness probe as the kubelet does (`killContainer`): the preStop
   * hook, SIGTERM, SIGKILL at the end of the grace period, which preStop counts against. The pod stays in the
   * endpoints until its readiness probe fails or the container exits; the exit leads to the restart.
   */
  #kill(pod: Pod, generation: number): void {
    pod.killing = true;
    this.#terminate(pod, generation);
  }

  /** preStop, SIGTERM, then SIGKILL at the end of the grace period, for the container of `generation`. */
  #terminate(pod: Pod, generation: number): void {
    const { settings } = this.#options;
    const signal = async (name: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
      const process = await pod.starting;
      if (process === undefined || generation !== pod.generation || pod.exitedAt !== undefined) return;
      if (process.child.exitCode !== null || process.child.signalCode !== null) return;
      if (name === 'SIGTERM') {
        if (pod.sigtermGeneration === generation) return;
        pod.sigtermGeneration = generation;
      }
      this.#emit(name === 'SIGTERM' ? 'sigterm' : 'sigkill', pod.name);
      process.child.kill(name);
    };
    const preStopMs = settings.preStopSleepSeconds * 1000;
    if (preStopMs > 0) {
      this.#timer(pod, preStopMs, () => {
        this.#emit('prestop-done', pod.name);
        void signal('SIGTERM');
      });
    } else {
      void signal('SIGTERM');
    }
    this.#timer(pod, settings.terminationGracePeriodSeconds * 1000, () => void signal('SIGKILL'));
  }

  /** The container is gone: the pod leaves the endpoints and the kubelet restarts it after the back-off. */
  #crashed(pod: Pod): void {
    const generation = ++pod.generation;
    pod.clearTimers();
    pod.killing = false;
    if (pod.ready) {
      pod.ready = false;
      this.#updateEndpoints();
    }
    this.#updateTargets();
    const waitMs = pod.backOff.next(this.#options.now() * 1000);
    if (waitMs > 0) this.#emit('back-off', pod.name, `restarting in ${waitMs / 1000} s`);
    this.#timer(pod, waitMs, () => {
      if (generation !== pod.generation || pod.deleting || this.#stopped) return;
      pod.restarts++;
      this.#emit('restarted', pod.name, `restart ${pod.restarts}`);
      this.#startContainer(pod);
    });
  }

  #onExit(pod: Pod, generation: number, code: number | string): void {
    if (this.#stopped || generation !== pod.generation) return;
    if (pod.deleting) {
      pod.exitedAt = this.#options.now();
      pod.exitCode = code;
      pod.clearTimers();
      this.#emit('exited', pod.name, `exit ${code}`);
      this.#pods.delete(pod.name);
      this.#updateTargets();
      return;
    }
    this.#emit('exited', pod.name, pod.killing ? `exit ${code} (killed by the kubelet)` : `exit ${code} while running`);
    this.#crashed(pod);
  }

  /** ReplicaSet's order for scale-down (controller_utils ActivePodsWithRanks): not ready before ready, then the pod
   * ready for the shortest time, then more restarts, then the newest. */
  #deletionOrder(pods: Pod[]): Pod[] {
    return [...pods].sort((a, b) => {
      if (a.ready !== b.ready) return a.ready ? 1 : -1;
      if (a.ready && b.ready && a.readyAt !== b.readyAt) return (b.readyAt ?? 0) - (a.readyAt ?? 0);
      if (a.restarts !== b.restarts) return b.restarts - a.restarts;
      return b.createdAt - a.createdAt;
    });
  }

  #delete(pod: Pod): void {
    pod.deleting = true;
    pod.deletedAt = this.#options.now();
    pod.clearTimers();
    this.#emit('deleted', pod.name);
    // In parallel: the endpoint controller drops the pod (reaching kube-proxy after the lag) and the kubelet runs
    // preStop, then sends SIGTERM; SIGKILL at the end of the grace period, which preStop counts against. A container
    // the kubelet was already killing gets the deletion's grace period instead.
    this.#updateEndpoints();
    this.#terminate(pod, pod.generation);
    // A pod still in its restart back-off has no process to stop.
    void pod.starting?.then((process) => {
      if (process === undefined || process.child.exitCode !== null || process.child.signalCode !== null) {
        if (this.#pods.get(pod.name) === pod) {
          pod.exitedAt = this.#options.now();
          pod.clearTimers();
          this.#pods.delete(pod.name);
          this.#emit('exited', pod.name, 'not running');
          this.#updateTargets();
        }
      }
    });
  }

  #updateEndpoints(): void {
    const endpoints: Endpoint[] = [];
    for (const pod of this.#pods.values()) {
      const port = pod.port;
      if (pod.ready && !pod.deleting && port !== undefined) endpoints.push({ name: pod.name, port });
    }
    const apply = (): void => {
      if (this.#stopped) return;
      this.#options.balancer.setEndpoints(endpoints);
      this.#emit('endpoints', undefined, endpoints.map((endpoint) => endpoint.name).join(' '));
    };
    if (this.#options.propagationLagMs > 0) setTimeout(apply, this.#options.propagationLagMs);
    else apply();
  }

  #updateTargets(): void {
    const { settings } = this.#options;
    const targets: ScrapeTarget[] = [];
    for (const pod of this.#pods.values()) {
      const process = pod.process;
      if (process === undefined || process.child.exitCode !== null || process.child.signalCode !== null) continue;
      // The labels the Prometheus operator's relabelling gives an endpoint of the ServiceMonitor.
      targets.push({
        url: process.url,
        labels: {
          namespace: settings.namespace,
          service: settings.name,
          pod: pod.name,
          container: 'app',
          endpoint: 'http',
          job: settings.name,
        },
      });
    }
    this.#options.setTargets(targets);
  }
}
