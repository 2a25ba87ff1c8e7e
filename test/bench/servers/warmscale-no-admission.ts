// The middleware's defaults with admission control off: no cap and no event-loop guard (its delay monitor and sampler
// never start). The difference to `warmscale-admission` is what admission control costs per request.
import warmscale from '@warmscale/middleware';
import { serve } from './serve.js';

await serve({ plugins: (app) => app.register(warmscale, { admission: { maxInFlight: 0, maxEventLoopDelayMs: 0 } }) });
