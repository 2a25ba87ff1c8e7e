/**
 * The logging the middleware needs: pino's (and so Fastify's) `(object, message)` signature. The Fastify plugin uses
 * the app's logger; the Express and node:http adapters take any such logger (pino, a child logger) or make a pino one.
 */
export interface Logger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * Exits once the logger has written what it holds (pino's `flush`), so the lines that explain an exit are not lost
 * or reordered behind it; at most `flushTimeoutMs` later in any case.
 */
export function exitAfterFlush(log: Logger, exit: (code: number) => void, code: number, flushTimeoutMs = 1000): void {
  const flush = (log as { flush?: (done: (error?: Error) => void) => void }).flush;
  if (typeof flush !== 'function') {
    exit(code);
    return;
  }
  let exited = false;
  const once = (): void => {
    if (exited) return;
    exited = true;
    clearTimeout(timer);
    exit(code);
  };
  const timer = setTimeout(once, flushTimeoutMs);
  flush.call(log, once);
}
