// The middleware's defaults with exemplars off: the difference to `warmscale` is what that part costs.
import warmscale from '@warmscale/middleware';
import { serve } from './serve.js';

await serve({ plugins: (app) => app.register(warmscale, { metrics: { exemplars: false } }) });
