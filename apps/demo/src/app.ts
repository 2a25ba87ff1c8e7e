import warmscale, { type WarmscaleOptionsInput } from '@warmscale/middleware';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { searchCatalog } from './catalog.js';
import { burnCpu } from './work.js';

export interface DemoOptions {
  /** Fastify's logger option (JSON logs through pino). */
  readonly logger?: FastifyServerOptions['logger'];
  /** Options passed unchanged to @warmscale/middleware. */
  readonly warmscale?: WarmscaleOptionsInput;
}

/** Builds the demo service: a few routes whose traffic is counted for the HPA. Listening is the caller's job. */
export async function buildDemo(options: DemoOptions = {}): Promise<FastifyInstance> {
  // Per-request log lines would dominate the CPU of a hello-world route under load; lifecycle events still log.
  const app = Fastify({
    logger: options.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
  });
  await app.register(warmscale, options.warmscale ?? {});

  app.get('/test', async () => 'OK');
  app.get('/hello', async () => 'hello');
  app.get(
    '/work',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['ms'],
          properties: { ms: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
      },
    },
    async (request) => {
      const { ms } = request.query as { ms: number };
      await burnCpu(ms);
      return { worked: ms };
    },
  );
  app.get(
    '/catalog/search',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['q'],
          properties: { q: { type: 'string', minLength: 1, maxLength: 100 } },
        },
      },
    },
    async (request) => ({ hits: searchCatalog((request.query as { q: string }).q) }),
  );
  // The cold route's first call builds the catalog; warm-up pays for it before the pod turns ready, then repeats
  // the search so the scoring code is JIT-compiled too.
  app.warmscale.addWarmupStep({
    name: 'catalog search',
    inject: { url: '/catalog/search?q=blue+oak+lamp' },
    times: 200,
    concurrency: 4,
  });
  app.warmscale.addWarmupStep({
    name: 'catalog search over loopback HTTP',
    inject: { url: '/catalog/search?q=red+chair' },
    times: 20,
    transport: 'loopback',
    critical: false,
  });
  return app;
}
