import type { IncomingMessage, RequestListener } from 'node:http';
import { createNodeServer, type NodeServerOptions, type WarmscaleServer } from './node-server.js';

/** Options of the node:http adapter. */
export interface HttpOptions extends NodeServerOptions {
  /**
   * The route template of a request, from your router (`'/users/:id'`), read when its response ends; `undefined`
   * counts it under `metrics.unmatchedRoute`. Never return the raw URL: every distinct value is a new series.
   * @defaultValue every request is unmatched
   */
  readonly route?: (request: IncomingMessage) => string | undefined;
}

/**
 * warmscale for a plain `node:http` request listener, and the base for any framework that is one (Koa's
 * `app.callback()`, a `find-my-way` router): `const ws = warmscale(handler); await ws.listen(8080, '0.0.0.0')`.
 */
export function warmscale(app: RequestListener, options: HttpOptions = {}): WarmscaleServer {
  const { route = () => undefined, ...rest } = options;
  return createNodeServer(app, route, rest);
}
export default warmscale;

export type { NodeServerOptions, WarmscaleServer } from './node-server.js';
export * from './shared-exports.js';
