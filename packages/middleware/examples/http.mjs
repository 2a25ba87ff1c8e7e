// Plain node:http (ESM): `node http.mjs`, then GET /users/1, /metrics, /readyz.
import { warmscale } from '@warmscale/middleware/http';

const user = /^\/users\/([^/?]+)(?:\?|$)/;

function app(req, res) {
  const id = user.exec(req.url)?.[1];
  if (id === undefined) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
}

const service = warmscale(app, {
  // The route template, never the raw URL (each distinct value is a new series); undefined counts as unmatched.
  route: (req) => (user.test(req.url) ? '/users/:id' : undefined),
});
service.addWarmupStep({ inject: { url: '/users/1' } });

// SIGTERM drains and exits 0.
await service.listen(Number(process.env.PORT ?? 8080), '0.0.0.0');
