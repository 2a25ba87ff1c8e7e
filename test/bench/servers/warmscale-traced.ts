// @warmscale/middleware's defaults inside an active span, so every counted request also records an exemplar.
import warmscale from '@warmscale/middleware';
import { serve } from './serve.js';
import { tracedServerFactory } from './tracing.js';

await serve({ plugins: (app) => app.register(warmscale), serverFactory: tracedServerFactory() });
