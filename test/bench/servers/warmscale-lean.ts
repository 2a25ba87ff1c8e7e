// The middleware counting requests only: no default process metrics, no duration histogram, no connection recycling.
import warmscale from '@warmscale/middleware';
import { serve } from './serve.js';

await serve({
  plugins: (app) =>
    app.register(warmscale, {
      metrics: { defaultMetrics: false, durationBuckets: false },
      connections: { maxRequests: 0, maxAgeMs: 0 },
    }),
});
