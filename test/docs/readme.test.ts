import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SETTING_LIST } from '@warmscale/middleware';
import { README, renderReadme } from './settings-table.js';

const readme = readFileSync(README, 'utf8');
/** Biome aligns the table's columns; alignment is not content. */
const normalize = (text: string): string => text.replace(/ +/g, ' ').replace(/-{3,}/g, '---');

test('the README settings table is the one generated from the settings declaration', () => {
  assert.equal(normalize(readme), normalize(renderReadme(readme)), 'run `npm run docs:settings` and commit the README');
});

test('the README names every WARMSCALE_* variable and no other', () => {
  // The README's example of a misspelt variable is the one name it may use that is not a setting.
  const named = new Set(
    readme.replace(/WARMSCALE_\w+ is not a warmscale setting/g, '').match(/WARMSCALE_[A-Z_]+[A-Z]/g),
  );
  assert.deepEqual([...named].sort(), SETTING_LIST.map((setting) => setting.env).sort());
});

test('package READMEs show images by absolute URL, so they render on the npm website too', () => {
  for (const pkg of ['middleware', 'hpa-sim']) {
    const text = readFileSync(new URL(`../../../packages/${pkg}/README.md`, import.meta.url), 'utf8');
    const images = [...text.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((match) => match[1] as string);
    assert.deepEqual(
      images.filter((src) => !src.startsWith('https://')),
      [],
      `${pkg}/README.md`,
    );
  }
});
