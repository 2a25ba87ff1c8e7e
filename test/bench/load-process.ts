// The load generator: one autocannon run described by argv[2] (a LoadSpec as JSON); prints a LoadResult as JSON.
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec, PathMix } from './load.js';
import { HELLO_PATH, routeRequestPath, unknownPath } from './routes.js';

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;

function pathGenerator(mix: PathMix): (() => string) | undefined {
  if (mix === 'hello') return undefined;
  let next = 0;
  const pathOf = mix === 'routes' ? routeRequestPath : unknownPath;
  return () => pathOf(next++);
}

/** The parts of autocannon's per-connection client that honouring `Connection: close` needs. */
interface AutocannonClient {
  on(event: 'headers', listener: (info: { readonly shouldKeepAlive: boolean }) => void): void;
  on(event: 'response', listener: () => void): void;
  readonly opts: { pipelining: number };
  _destroyConnection(): void;
  _connect(): void;
}

let closedByServer = 0;

/**
 * autocannon keeps writing on a connection after a response that said `Connection: close`. Real clients (Node's
 * agent, undici, browsers, proxies) open a new connection instead, and Node answers any further request on a socket
 * past `server.maxRequestsPerSocket` with a bare 503, so without this a server that recycles connections would be
 * measured serving 503s. After such a response this client reconnects, then autocannon sends its next request on the
 * new connection.
 */
function honourConnectionClose(client: AutocannonClient): void {
  if (typeof client._destroyConnection !== 'function' || typeof client._connect !== 'function') {
    throw new Error('this autocannon version has no _destroyConnection/_connect: cannot honour Connection: close');
  }
  let closing = false;
  client.on('headers', (info) => {
    closing = !info.shouldKeepAlive;
  });
  // Emitted when a response is complete, just before autocannon writes the next request.
  client.on('response', () => {
    if (!closing) return;
    closing = false;
    closedByServer++;
    const { pipelining } = client.opts;
    client._destroyConnection();
    // _connect() would send `pipelining` requests itself; autocannon sends the next one right after this listener.
    client.opts.pipelining = 0;
    client._connect();
    client.opts.pipelining = pipelining;
  });
}

const nextPath = pathGenerator(spec.paths);
const result = await autocannon({
  url: `${spec.url}${HELLO_PATH}`,
  connections: spec.connections,
  duration: spec.durationSec ?? 60,
  amount: spec.amount,
  headers: spec.close === true ? { connection: 'close' } : undefined,
  setupClient: honourConnectionClose as unknown as autocannon.Options['setupClient'],
  // A fixed path is encoded once; only the mixes that vary per request pay for setupRequest.
  requests: nextPath === undefined ? undefined : [{ setupRequest: (request) => ({ ...request, path: nextPath() }) }],
});

const summary: LoadResult = {
  requests: result.requests.total,
  durationSec: result.duration,
  requestsPerSec: result.requests.total / result.duration,
  latencyP50Ms: result.latency.p50,
  latencyP99Ms: result.latency.p99,
  errors: result.errors,
  non2xx: result.non2xx,
  closedByServer,
};
process.stdout.write(JSON.stringify(summary));
