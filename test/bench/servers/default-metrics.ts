// prom-client's default process metrics alone (its GC observer and event-loop delay monitor run all the time).
import { collectDefaultMetrics, Registry } from 'prom-client';
import { serve } from './serve.js';

collectDefaultMetrics({ register: new Registry() });
await serve();
