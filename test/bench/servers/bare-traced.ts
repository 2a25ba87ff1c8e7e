// Fastify with an active span per request and no metrics: the baseline that isolates the cost of exemplars.
import { serve } from './serve.js';
import { tracedServerFactory } from './tracing.js';

await serve({ serverFactory: tracedServerFactory() });
