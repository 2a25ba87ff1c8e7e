// The floor for an onResponse-based counter: one hand-written prom-client Counter in one onResponse hook, as the
// reference figures' variant (c). No histogram, probes, lifecycle or default metrics.
import { Counter, Registry } from 'prom-client';
import { serve } from './serve.js';

const requests = new Counter({
  name: 'httpserver_requests_total',
  help: 'HTTP requests',
  labelNames: ['method', 'route', 'status'],
  registers: [new Registry()],
});

await serve({
  plugins: async (app) =>
    app.addHook('onResponse', function countRequest(request, reply, done) {
      requests.inc({
        method: request.method,
        route: request.routeOptions.url ?? '__unmatched__',
        status: String(reply.statusCode),
      });
      done();
    }),
});
