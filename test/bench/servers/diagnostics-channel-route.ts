// The subscriber of `diagnostics-channel`, plus the route template each route's handler leaves on the raw request
// (wrapped through an onRoute hook): what a per-route counter at the Node server needs at the least.
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { serve } from './serve.js';

const kRoute = Symbol('route');
const perRoute = new Map<string | undefined, number>();
subscribe('http.server.response.finish', (message) => {
  const route = ((message as { request: IncomingMessage }).request as IncomingMessage & { [kRoute]?: string })[kRoute];
  perRoute.set(route, (perRoute.get(route) ?? 0) + 1);
});

await serve({
  plugins: async (app) =>
    app.addHook('onRoute', (route) => {
      const { handler, url } = route;
      route.handler = function handleRoute(request, reply) {
        (request.raw as IncomingMessage & { [kRoute]?: string })[kRoute] = url;
        return handler.call(this, request, reply);
      };
    }),
});
