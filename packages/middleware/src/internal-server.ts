import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pathOf } from './probes.js';

/** Answers one internal endpoint (a probe, `/metrics`) on a Node response. */
export type InternalRoute = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * A server of its own for the probes and/or `/metrics` (`probes.port`, `metrics.port`): outside the application's
 * routes, hooks and connection limits, so a busy application never delays a probe or a scrape. GET and HEAD only.
 */
export function createInternalServer(routes: ReadonlyMap<string, InternalRoute>): Server {
  return createServer(function serveInternalPort(request: IncomingMessage, response: ServerResponse) {
    const route = request.method === 'GET' || request.method === 'HEAD' ? routes.get(pathOf(request.url)) : undefined;
    if (route === undefined) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not Found"}');
      return;
    }
    route(request, response);
  });
}
