// The floor of any onResponse-based counter: one empty onResponse hook (Fastify then adds its per-response listeners).
import { serve } from './serve.js';

await serve({ plugins: async (app) => app.addHook('onResponse', (_request, _reply, done) => done()) });
