import type { FastifyInstance } from 'fastify';

/** The exposition lines of one metric family's samples, in output order. */
export async function sampleLines(app: FastifyInstance, name: string, accept?: string): Promise<string[]> {
  const response = await app.inject({ url: '/metrics', headers: accept ? { accept } : {} });
  return response.body.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

/** A promise with its resolver outside (Promise.withResolvers arrives with Node 22). */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
