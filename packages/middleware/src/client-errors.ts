import { type Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** Node's answers to a request it could not parse, as `_http_server.js` writes them when no one else does. */
const CLIENT_ERROR_STATUS: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

const kAnswered = Symbol('warmscale.clientErrorAnswered');
type AnsweredSocket = Socket & { [kAnswered]?: true };

/**
 * True when a client-error response was written on this socket. A request in flight there (its body was malformed)
 * then got that response: it must not be counted again as a client that left (499).
 */
export function answeredClientError(socket: Socket | null | undefined): boolean {
  return (socket as AnsweredSocket | null | undefined)?.[kAnswered] === true;
}

/**
 * Counts the response to a request Node could not parse (a malformed request line or header, headers over the size
 * limit, a request timeout): there is no request object and no route, only a status line written to the socket by
 * whoever handles `clientError` (Fastify's handler, a user's, or `answerClientErrors`). The first status line written
 * after the error is the response; `record` gets its status.
 */
export function countClientErrors(server: Server, record: (status: number) => void): void {
  server.prependListener('clientError', function countClientError(_error: Error, socket: Socket) {
    const write = socket.write;
    socket.write = function writeClientErrorResponse(this: Socket, chunk: unknown, ...rest: unknown[]): boolean {
      socket.write = write;
      const head = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('latin1', 0, 16) : '';
      const status = /^HTTP\/1\.[01] (\d{3}) /.exec(head);
      if (status !== null) {
        (socket as AnsweredSocket)[kAnswered] = true;
        record(Number(status[1]));
      }
      return (write as (...args: unknown[]) => boolean).apply(this, [chunk, ...rest]);
    } as Socket['write'];
  });
}

/**
 * Answers a request Node could not parse as Node itself would (a `clientError` listener replaces Node's answer):
 * 400, or 431, 413, 408 for their errors; nothing on a reset or mid-response socket.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', function answerClientError(error: NodeJS.ErrnoException, socket: Socket) {
    if (error.code !== 'ECONNRESET' && socket.writable && socket.bytesWritten === 0) {
      const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? 400;
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
    }
    socket.destroy(error);
  });
}
