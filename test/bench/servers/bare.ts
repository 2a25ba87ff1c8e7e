// Fastify alone: the baseline every other variant is divided by.
import { serve } from './serve.js';

await serve();
