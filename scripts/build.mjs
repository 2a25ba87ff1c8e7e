// `npm run build`: one `tsc -b` over every project (or over the packages named), then mark each package's CommonJS
// build (`dist/cjs`) as CommonJS, since the packages themselves are `"type": "module"`.
// `--clean` first removes the named packages' `dist`, so a tarball never ships the output of a deleted module
// (the packages' `prepack` runs `build.mjs --clean packages/<name>`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..');

/** @param {{ packages?: string[], clean?: boolean }} [options] packages as `packages/<name>` paths */
export function build({ packages = [], clean = false } = {}) {
  if (clean) for (const pkg of packages) rmSync(join(root, pkg, 'dist'), { recursive: true, force: true });
  const projects = packages.flatMap((pkg) =>
    ['tsconfig.json', 'tsconfig.cjs.json'].map((file) => join(root, pkg, file)).filter(existsSync),
  );
  const status = spawnSync('npx', ['tsc', '-b', ...projects], { cwd: root, stdio: 'inherit' }).status ?? 1;
  if (status !== 0) return status;
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const cjs = join(root, 'packages', pkg, 'dist/cjs');
    if (existsSync(cjs)) writeFileSync(join(cjs, 'package.json'), '{ "type": "commonjs" }\n');
  }
  return 0;
}

if (process.argv[1] === import.meta.filename) {
  const { values, positionals } = parseArgs({ options: { clean: { type: 'boolean' } }, allowPositionals: true });
  process.exit(build({ packages: positionals, clean: values.clean === true }));
}
