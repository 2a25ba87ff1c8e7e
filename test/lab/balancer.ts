// The Service: a TCP balancer that behaves like kube-proxy. It picks an endpoint once per connection, when the
// connection is accepted, and pipes bytes both ways; it never looks at HTTP. So a keep-alive connection stays on the
// pod it first reached (kubernetes/kubernetes#38456), and removing an endpoint only affects new connections, as
// removing a pod from an EndpointSlice does with kube-proxy's conntrack entries.
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A ready pod as the Service sees it. */
export interface Endpoint {
  readonly name: string;
  readonly port: number;
}

/** Per-endpoint connection counts. */
export interface EndpointConnections {
  /** Connections routed to the endpoint since it was first added. */
  readonly opened: number;
  /** Connections routed to it and still open. */
  readonly open: number;
  /** Connections routed to it whose connect failed (the port was closed). */
  readonly refused: number;
}

/** Where one accepted connection went: the client's port, when (`Date.now()`), and the endpoint (null: none). */
export interface Route {
  readonly port: number;
  readonly at: number;
  readonly endpoint: string | null;
}

export interface Balancer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Replaces the endpoint list; open connections are left alone. */
  setEndpoints(endpoints: readonly Endpoint[]): void;
  endpoints(): readonly Endpoint[];
  connections(): ReadonlyMap<string, EndpointConnections>;
  /** Every connection accepted so far, in order. */
  routes(): readonly Route[];
  /** Connections accepted while there was no endpoint (reset at once). */
  readonly unrouted: number;
  /** Stops accepting and cuts every open connection. */
  close(): Promise<void>;
}

interface Counts {
  opened: number;
  open: number;
  refused: number;
}

/** Starts the balancer on `127.0.0.1:<free port>` with no endpoints. Connections are routed round-robin. */
export async function startBalancer(): Promise<Balancer> {
  let endpoints: readonly Endpoint[] = [];
  let next = 0;
  let unrouted = 0;
  const counts = new Map<string, Counts>();
  const sockets = new Set<Socket>();
  const routes: Route[] = [];

  const server: Server = createServer({ noDelay: true }, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => {});
    const endpoint = endpoints[next++ % Math.max(endpoints.length, 1)];
    routes.push({ port: client.remotePort ?? 0, at: Date.now(), endpoint: endpoint?.name ?? null });
    if (endpoint === undefined) {
      // No ready endpoint: the client sees a reset, as with a Service that has no endpoints (kube-proxy REJECT).
      unrouted++;
      client.resetAndDestroy();
      return;
    }
    let count = counts.get(endpoint.name);
    if (count === undefined) {
      count = { opened: 0, open: 0, refused: 0 };
      counts.set(endpoint.name, count);
    }
    const tally = count;
    tally.opened++;
    tally.open++;
    const upstream = connect({ port: endpoint.port, host: '127.0.0.1', noDelay: true });
    sockets.add(upstream);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.once('close', () => {
      sockets.delete(upstream);
      tally.open--;
    });
    // A refused or reset upstream reaches the client as a reset, as it would through kube-proxy's DNAT.
    upstream.on('error', () => {
      if (!connected) tally.refused++;
      if (!client.destroyed) client.resetAndDestroy();
    });
    client.on('error', () => {
      if (!upstream.destroyed) upstream.resetAndDestroy();
    });
    client.once('close', () => {
      if (!upstream.destroyed) upstream.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the balancer has no TCP address');
  const port = address.port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setEndpoints(list) {
      endpoints = [...list];
    },
    endpoints: () => endpoints,
    connections: () => new Map([...counts].map(([name, count]) => [name, { ...count }])),
    routes: () => routes,
    get unrouted() {
      return unrouted;
    },
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
