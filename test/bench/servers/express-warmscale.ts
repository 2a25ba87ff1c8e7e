// Express 5 with @warmscale/middleware's Express adapter and its defaults (it owns the server).

import { createRequire } from 'node:module';
import warmscale from '@warmscale/middleware/express';
import { HELLO_PATH } from '../routes.js';
import { announce } from './serve.js';

// Express 5 under its npm alias; the types are @types/express's.
const express = createRequire(import.meta.url)('express5') as typeof import('express');
const app = express();
app.get(HELLO_PATH, (_request, response) => {
  response.send('hello');
});
announce(await warmscale(app, { logger: false }).listen(0, '127.0.0.1'));
