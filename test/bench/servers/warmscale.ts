// @warmscale/middleware registered without options: whatever its defaults are, this variant measures them.
import warmscale from '@warmscale/middleware';
import { serve } from './serve.js';

await serve({ plugins: (app) => app.register(warmscale) });
