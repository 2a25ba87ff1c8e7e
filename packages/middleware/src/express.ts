import type { IncomingMessage, RequestListener } from 'node:http';
import { createNodeServer, type NodeServerOptions, type WarmscaleServer } from './node-server.js';

/** What Express (4 and 5) leaves on a request it routed. */
interface RoutedRequest extends IncomingMessage {
  readonly baseUrl?: string;
  readonly route?: { readonly path: string | RegExp | ReadonlyArray<string | RegExp> };
}

/**
 * The route template Express matched: the mount path (`req.baseUrl`) joined with the route's own path, as
 * OpenTelemetry's Express instrumentation names it; unmatched when no route answered (404s, middleware replies).
 */
export function expressRoute(request: IncomingMessage): string | undefined {
  const { route, baseUrl = '' } = request as RoutedRequest;
  if (route === undefined) return undefined;
  const path = Array.isArray(route.path) ? route.path.map(String).join(',') : String(route.path);
  return `${baseUrl}${path}`;
}

/**
 * warmscale for an Express 4 or 5 application: `const ws = warmscale(app); await ws.listen(8080, '0.0.0.0')` instead
 * of `app.listen(8080)`. The probes and `/metrics` are answered ahead of the application's middleware.
 */
export function warmscale(app: RequestListener, options: NodeServerOptions = {}): WarmscaleServer {
  return createNodeServer(app, expressRoute, options);
}
export default warmscale;

export type { NodeServerOptions, WarmscaleServer } from './node-server.js';
export * from './shared-exports.js';
