/**
 * The logging the middleware needs: pino's (and so Fastify's) `(object, message)` signature. The Fastify plugin uses
 * the app's logger; the Express and node:http adapters take any such logger (pino, a child logger) or make a pino one.
 */
export interface Logger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}
