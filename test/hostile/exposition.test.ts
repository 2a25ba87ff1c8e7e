/**
 * Hostile traffic on every adapter, then the exposition read by two independent parsers: `promtool check metrics`
 * (Prometheus' own linter) for the text format, and the reference Python client's text and OpenMetrics parsers.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { describe, test } from 'node:test';
import { ADAPTERS } from '../adapters/harness.js';
import { get, samples } from '../support/http.js';
import { prometheusBinaries, pythonWithPrometheusClient } from '../support/prometheus.js';

/** Raw requests no well-behaved client sends; each gets one response (or none, for the reset ones). */
const HOSTILE: readonly string[] = [
  'GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n',
  `GET /users/${'a'.repeat(300)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  'GARBAGE\r\n\r\n',
  `GET /test HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  'GET /test HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  'GET /"quoted"\\back\nslash HTTP/1.1\r\nHost: x\r\n\r\n',
  'PURGE /test HTTP/1.1\r\nHost: x\r\n\r\n',
  `GET /test?${'q=1&'.repeat(2000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  'GET /nowhere/\u00e9\u00e8 HTTP/1.1\r\nHost: x\r\n\r\n',
];

/** Sends raw bytes on a new connection; resolves with how many responses came back (0 or 1). */
async function sendRaw(port: number, bytes: string): Promise<number> {
  const socket = createConnection(port, '127.0.0.1');
  let received = '';
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    received += chunk;
    socket.end();
  });
  socket.write(bytes);
  await once(socket, 'close');
  return /^HTTP\/1\.1 \d{3} /.test(received) ? 1 : 0;
}

/** Parses the exposition with prometheus_client; prints the request counter's total. */
const PARSE = `
import sys
from prometheus_client.parser import text_string_to_metric_families as text
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
parse = openmetrics if sys.argv[1] == 'openmetrics' else text
total = 0
for family in parse(sys.stdin.read()):
    for sample in family.samples:
        if sample.name == 'httpserver_requests_total':
            total += sample.value
print(int(total))
`;

for (const adapter of ADAPTERS) {
  describe(`${adapter.name}: the exposition after hostile traffic`, () => {
    test('promtool and the reference Python parsers accept both formats, and agree on the count', async () => {
      const { promtool } = await prometheusBinaries();
      const python = await pythonWithPrometheusClient();
      const running = await adapter.start({ warmup: { enabled: false }, shutdown: { signals: [], exit: () => {} } });
      try {
        const port = Number(new URL(running.url).port);
        let responses = 0;
        for (const bytes of HOSTILE) responses += await sendRaw(port, bytes);
        for (let i = 0; i < 20; i++) await get(`${running.url}/random/${Math.random().toString(36)}`);
        await get(`${running.url}/users/7`);

        const text = (await get(`${running.url}/metrics`)).body;
        const openMetrics = (await get(`${running.url}/metrics`, undefined, { accept: 'application/openmetrics-text' }))
          .body;
        const total = samples(text, 'httpserver_requests_total').reduce(
          (sum, line) => sum + Number(line.split(' ').pop()),
          0,
        );

        const lint = execFile(promtool, ['check', 'metrics']);
        lint.stdin?.end(text);
        const [code] = (await once(lint, 'close')) as [number];
        assert.equal(code, 0, 'promtool check metrics');

        for (const format of ['text', 'openmetrics'] as const) {
          const child = execFile(python, ['-c', PARSE, format]);
          let stdout = '';
          child.stdout?.on('data', (chunk) => {
            stdout += chunk;
          });
          child.stdin?.end(format === 'text' ? text : openMetrics);
          const [exit] = (await once(child, 'close')) as [number];
          assert.equal(exit, 0, `prometheus_client ${format} parser`);
          assert.equal(Number(stdout.trim()), total, `${format}: the parser's total`);
        }
        assert.equal(total, responses + 21, 'every response the clients received is counted once');
      } finally {
        running.release();
        await running.close();
      }
    });
  });
}

test('promtool reads what it is given: a gauge named _total fails the lint', async () => {
  const { promtool } = await prometheusBinaries();
  const lint = execFile(promtool, ['check', 'metrics']);
  lint.stdin?.end('# HELP bad_total a gauge\n# TYPE bad_total gauge\nbad_total 1\n');
  const [code] = (await once(lint, 'close')) as [number];
  assert.notEqual(code, 0);
});
