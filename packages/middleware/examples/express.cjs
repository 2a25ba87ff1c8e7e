// Express 4 or 5 (CommonJS): `node express.cjs`, then GET /users/1, /metrics, /readyz.
const express = require('express');
const { warmscale } = require('@warmscale/middleware/express');

const app = express();
app.get('/users/:id', (req, res) => {
  res.json({ id: req.params.id });
});

// warmscale owns the server: it answers the probes and /metrics ahead of the app and counts each response under
// the route template Express matched (`/users/:id`).
const service = warmscale(app);
service.addWarmupStep({ inject: { url: '/users/1' } });

// Instead of app.listen(): SIGTERM drains and exits 0.
service.listen(Number(process.env.PORT ?? 8080), '0.0.0.0');
