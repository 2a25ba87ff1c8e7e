// fastify-metrics with its defaults (route histogram and summary, default metrics, /metrics): what users pick today.
import fastifyMetrics from 'fastify-metrics';
import { serve } from './serve.js';

// fastify-metrics 13 is CommonJS with `exports.default`, so ESM sees the plugin one level down.
await serve({ plugins: (app) => app.register(fastifyMetrics.default, { endpoint: '/metrics' }) });
