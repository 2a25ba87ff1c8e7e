// Express 4 or 5 (ESM), with a mounted router: `node express.mjs`, then GET /users/1, /metrics, /readyz.
import { warmscale } from '@warmscale/middleware/express';
import express from 'express';

const users = express.Router();
users.get('/:id', (req, res) => {
  res.json({ id: req.params.id });
});
const app = express();
app.use('/users', users);

// Counted as route="/users/:id": the mount path joined with the route's own path.
const service = warmscale(app);
service.addWarmupStep({ inject: { url: '/users/1' } });

// Instead of app.listen(): the probes and /metrics are answered ahead of the app, SIGTERM drains and exits 0.
await service.listen(Number(process.env.PORT ?? 8080), '0.0.0.0');
