// A plain node:http listener serving the hello route: the baseline of `http-warmscale`.
import { createServer } from 'node:http';
import { announce, helloListener } from './serve.js';

const server = createServer(helloListener);
server.listen(0, '127.0.0.1', () => announce(server));
