// The middleware's defaults with connection recycling off: the difference to `warmscale` is what recycling costs
// (a reconnect every `connections.maxRequests` responses).
import warmscale from '@warmscale/middleware';
import { serve } from './serve.js';

await serve({ plugins: (app) => app.register(warmscale, { connections: { maxRequests: 0, maxAgeMs: 0 } }) });
