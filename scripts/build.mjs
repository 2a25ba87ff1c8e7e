// `npm run build`: one `tsc -b` over every project, then mark each package's CommonJS build (`dist/cjs`) as CommonJS,
// since the packages themselves are `"type": "module"`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

export function build() {
  const status = spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' }).status ?? 1;
  if (status !== 0) return status;
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const cjs = join(root, 'packages', pkg, 'dist/cjs');
    if (existsSync(cjs)) writeFileSync(join(cjs, 'package.json'), '{ "type": "commonjs" }\n');
  }
  return 0;
}

if (process.argv[1] === import.meta.filename) process.exit(build());
