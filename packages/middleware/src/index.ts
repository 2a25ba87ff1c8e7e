import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Warmscale } from './core.js';
import { warmscale as plugin } from './fastify.js';
import type { WarmscaleOptionsInput } from './options.js';

declare module 'fastify' {
  interface FastifyInstance {
    warmscale: Warmscale;
  }
}

declare module './warmup.js' {
  interface WarmupContext {
    /** The Fastify instance, for function warm-up steps of the Fastify plugin. */
    readonly fastify?: FastifyInstance;
  }
}

/** The Fastify plugin. It counts routes registered before or after it. */
export const warmscale: FastifyPluginAsync<WarmscaleOptionsInput> = plugin;
export default warmscale;

export * from './shared-exports.js';
