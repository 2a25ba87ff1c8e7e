// The same listener with @warmscale/middleware's node:http adapter and its defaults (it owns the server).
import warmscale from '@warmscale/middleware/http';
import { HELLO_PATH } from '../routes.js';
import { announce, helloListener } from './serve.js';

const ws = warmscale(helloListener, {
  logger: false,
  route: (request) => (request.url === HELLO_PATH ? HELLO_PATH : undefined),
});
announce(await ws.listen(0, '127.0.0.1'));
