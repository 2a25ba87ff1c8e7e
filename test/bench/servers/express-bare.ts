// Express 5 alone, serving the hello route: the baseline of `express-warmscale`.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { HELLO_PATH } from '../routes.js';
import { announce } from './serve.js';

// Express 5 under its npm alias; the types are @types/express's.
const express = createRequire(import.meta.url)('express5') as typeof import('express');
const app = express();
app.get(HELLO_PATH, (_request, response) => {
  response.send('hello');
});
const server = createServer(app);
server.listen(0, '127.0.0.1', () => announce(server));
