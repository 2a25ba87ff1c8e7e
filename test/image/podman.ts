import { type CommandResult, repoRoot, run } from '../chart/helm.js';
import type { K8sObject } from '../chart/render.js';

/** The parts of `scripts/tools.mjs` the image suite uses. */
interface Tools {
  ensurePodman(): { podman: string; env: NodeJS.ProcessEnv };
  ensureNodeBaseImage(): { image: string; built: boolean };
  ensureBusyboxImage(image?: string): { image: string; built: boolean };
}

let tools: Promise<Tools> | undefined;

/** scripts/tools.mjs, loaded once (a computed specifier keeps tsc from resolving the untyped .mjs). */
export function loadTools(): Promise<Tools> {
  tools ??= import(new URL('scripts/tools.mjs', `file://${repoRoot}`).href) as Promise<Tools>;
  return tools;
}

/** A podman bound to this machine's settings (`CONTAINERS_CONF`, see scripts/tools.mjs). */
export interface Podman {
  readonly binary: string;
  /** The environment every podman call needs (`CONTAINERS_CONF`). */
  readonly env: NodeJS.ProcessEnv;
  /** Runs podman; resolves with the exit code and output, also when podman fails. */
  run(args: readonly string[]): Promise<CommandResult>;
  /** Runs podman; rejects with the command and podman's stderr when it exits non-zero. */
  ok(args: readonly string[]): Promise<string>;
}

/** podman, installed by scripts/tools.mjs when missing (as root; otherwise the error says the command to run). */
export async function podman(): Promise<Podman> {
  const { podman: binary, env } = (await loadTools()).ensurePodman();
  const runPodman = (args: readonly string[]) => run(binary, args, env);
  return {
    binary,
    env,
    run: runPodman,
    async ok(args) {
      const result = await runPodman(args);
      if (result.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
      return result.stdout;
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: rendered pod specs are free-form; the translations name each field.
type Spec = any;

/**
 * The rendered Deployment as `podman kube play` (4.3, Debian bookworm) can take it. Each change and why:
 * - `POD_NAMESPACE` (`fieldRef: metadata.namespace`) becomes the literal namespace the kubelet would resolve: podman
 *   refuses the pod ("fieldPath metadata.namespace is either not valid or not supported"). `metadata.name` it resolves.
 * - The `http` port gets `hostIP: 127.0.0.1` and `hostPort`: the stand-in for the Service, which podman does not have.
 *   Without a hostPort, podman 4.3 publishes every containerPort on 0.0.0.0 at the same number.
 * - The `livenessProbe` is removed: podman 4.3 turns it into a healthcheck that runs `curl -f http://localhost:0/livez`
 *   (a named port becomes 0) inside the image, which has no curl, from systemd timers, which this machine does not
 *   run; it never restarts the container either. The test probes /livez itself, as it does /startupz and /readyz,
 *   which podman ignores.
 * podman also ignores `lifecycle.preStop` and `terminationGracePeriodSeconds`: the test plays them (a wait, then
 * `podman stop --time` on the app container), and the spec keeps them.
 */
export function deploymentForPodman(deployment: K8sObject, hostPort: number): K8sObject {
  const translated = structuredClone(deployment);
  const namespace = deployment.metadata.namespace;
  if (namespace === undefined) throw new Error('the rendered Deployment has no metadata.namespace');
  for (const container of translated.spec.template.spec.containers as Spec[]) {
    container.env = (container.env ?? []).map((entry: Spec) =>
      entry.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace' ? { name: entry.name, value: namespace } : entry,
    );
    for (const port of container.ports ?? []) {
      if (port.name === 'http') Object.assign(port, { hostIP: '127.0.0.1', hostPort });
    }
    delete container.livenessProbe;
  }
  return translated;
}

/**
 * The rendered `helm test` Pod as podman can run it beside the app's pod. It calls `http://<fullname>:<service.port>`,
 * the Service's DNS name and port, and podman has neither Services nor cluster DNS:
 * - `hostNetwork: true`: the pod shares the host's network, where the app's pod publishes its port on 127.0.0.1 at
 *   `service.port` (the chart renders the test with that value);
 * - `<fullname>` resolves to 127.0.0.1 through a hosts file mounted at /etc/hosts (`hostsFile`, a hostPath volume),
 *   not `hostAliases`, which podman 4.3 drops from /etc/hosts when the pod uses the host's network.
 */
export function testPodForPodman(pod: K8sObject, hostsFile: string): K8sObject {
  const translated = structuredClone(pod);
  translated.spec.hostNetwork = true;
  translated.spec.volumes = [
    ...(translated.spec.volumes ?? []),
    { name: 'service-dns', hostPath: { path: hostsFile, type: 'File' } },
  ];
  for (const container of translated.spec.containers as Spec[]) {
    container.volumeMounts = [
      ...(container.volumeMounts ?? []),
      { name: 'service-dns', mountPath: '/etc/hosts', readOnly: true },
    ];
  }
  return translated;
}
