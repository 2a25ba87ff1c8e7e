import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Warmscale } from './core.js';
import { type FastifyWarmscaleOptions, warmscale as plugin } from './fastify.js';

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
export const warmscale: FastifyPluginAsync<FastifyWarmscaleOptions> = plugin;
export default warmscale;

export type { FastifyWarmscaleOptions } from './fastify.js';
export * from './shared-exports.js';
