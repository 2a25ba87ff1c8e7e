// Sets the demo's version and the chart's appVersion together (they must match: the chart deploys that image tag).
// Usage: npm run bump:demo -- 0.2.0
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const version = process.argv[2];
if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version ?? '')) {
  console.error('usage: npm run bump:demo -- <semver>, e.g. 0.2.0');
  process.exit(2);
}
const root = join(import.meta.dirname, '..');
const demoManifest = join(root, 'apps/demo/package.json');
const demo = JSON.parse(readFileSync(demoManifest, 'utf8'));
demo.version = version;
writeFileSync(demoManifest, `${JSON.stringify(demo, null, 2)}\n`);
const chartFile = join(root, 'charts/warmscale/Chart.yaml');
const chart = readFileSync(chartFile, 'utf8');
writeFileSync(chartFile, chart.replace(/^appVersion: .*$/m, `appVersion: "${version}"`));
console.log(`apps/demo and charts/warmscale appVersion are now ${version}`);
