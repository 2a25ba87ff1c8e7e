// A server that sheds every request: a cap of one request in flight, taken by a `GET /hold` that is never answered
// (the harness sends it first). Each further request gets the middleware's 503 with Retry-After and Connection: close.
import warmscale from '@warmscale/middleware';
import { HOLD_PATH } from '../routes.js';
import { serve } from './serve.js';

await serve({
  plugins: async (app) => {
    await app.register(warmscale, { admission: { maxInFlight: 1, maxEventLoopDelayMs: 1000 } });
    app.get(HOLD_PATH, () => new Promise<never>(() => {}));
  },
});
