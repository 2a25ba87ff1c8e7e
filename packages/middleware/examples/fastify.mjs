// The Fastify plugin (ESM): `node fastify.mjs`, then GET /users/1, /metrics, /readyz.

import warmscale from '@warmscale/middleware';
import Fastify from 'fastify';

const app = Fastify({ logger: true });
await app.register(warmscale);
app.get('/users/:id', async (request) => ({ id: request.params.id }));

// Replayed through app.inject once listening; /readyz turns 200 when it has succeeded.
app.warmscale.addWarmupStep({ inject: { url: '/users/1' } });

// SIGTERM drains and exits 0: nothing else to wire up.
await app.listen({ port: Number(process.env.PORT ?? 8080), host: '0.0.0.0' });
