// The middleware's defaults with a concurrency cap no load here reaches: admission control runs its whole path on
// every request (count in, check the cap and the event-loop guard, count out) and never sheds.
import warmscale from '@warmscale/middleware';
import { serve } from './serve.js';

await serve({
  plugins: (app) => app.register(warmscale, { admission: { maxInFlight: 1_000_000, maxEventLoopDelayMs: 1000 } }),
});
