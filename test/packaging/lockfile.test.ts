import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Manifest {
  name?: string;
  version?: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  workspaces?: string[];
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(root, path), 'utf8')) as T;
const rootManifest = readJson<Manifest>('package.json');
const locked = readJson<{ packages: Record<string, Manifest & { link?: boolean }> }>('package-lock.json').packages;

/** The lockfile key a package `name` resolves to from the package at `from`, walking up node_modules as Node does. */
function resolveLocked(from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
    if (locked[candidate] !== undefined) return candidate;
    if (dir === '') return undefined;
    const parent = dir.lastIndexOf('/node_modules/');
    dir = parent < 0 ? '' : dir.slice(0, parent);
  }
}

describe('package-lock.json', () => {
  const minimum = semver.minVersion(rootManifest.engines?.node ?? '')?.version;

  test('every locked package admits the lowest Node the root engines declare', () => {
    assert.equal(minimum, '20.11.0');
    const refusing = Object.entries(locked)
      .filter(
        ([, entry]) => entry.engines?.node !== undefined && !semver.satisfies(minimum as string, entry.engines.node),
      )
      .map(([key, entry]) => `${key} (${entry.version}) needs node ${entry.engines?.node}`);
    assert.deepEqual(refusing, []);
  });

  test('every workspace declares the same engines as the root', () => {
    const workspaces = Object.entries(locked).filter(([key]) => key !== '' && !key.includes('node_modules/'));
    assert.deepEqual(
      workspaces.map(([key, entry]) => [key, entry.engines?.node ?? rootManifest.engines?.node]),
      workspaces.map(([key]) => [key, rootManifest.engines?.node]),
    );
  });

  // npm ci refuses a lockfile that lacks an optional dependency of another platform ("Missing: @biomejs/cli-...
  // from lock file"), even though it never installs it; a lockfile written while the registry did not serve those
  // manifests silently drops them.
  test('records every optional dependency of every locked package, so npm ci accepts it on any platform', () => {
    const missing = Object.entries(locked).flatMap(([key, entry]) =>
      Object.keys(entry.optionalDependencies ?? {})
        .filter((name) => resolveLocked(key, name) === undefined)
        .map((name) => `${name} (optional dependency of ${key || 'the root'})`),
    );
    assert.deepEqual(missing, []);
    assert.deepEqual(
      Object.keys(locked['node_modules/@biomejs/biome']?.optionalDependencies ?? {}).filter((name) =>
        name.startsWith('@biomejs/cli-darwin'),
      ),
      ['@biomejs/cli-darwin-arm64', '@biomejs/cli-darwin-x64'],
    );
  });

  // Biome's own advice: formatting and lint rules change between releases, so every machine runs the same one.
  test('pins Biome exactly, to the locked version', () => {
    assert.equal(rootManifest.devDependencies?.['@biomejs/biome'], locked['node_modules/@biomejs/biome']?.version);
  });
});
