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

function badRequest(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 400 });
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
    async (request, reply) => {
      const { ms } = request.query as { ms: number };
      // Ajv's type coercion turns "Infinity", "1e309" and 400-digit numbers into Infinity, which passes `integer`
      // and `maximum`: the one check that holds is the number itself.
      if (!Number.isSafeInteger(ms)) throw badRequest('querystring/ms must be an integer from 1 to 1000');
      // A client that leaves stops the work it asked for: nobody waits for the answer.
      const left = new AbortController();
      reply.raw.once('close', () => left.abort());
      const worked = await burnCpu(ms, left.signal);
      if (worked < ms) request.log.info({ requestedMs: ms, workedMs: worked }, 'work stopped: the client left');
      return { worked };
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
