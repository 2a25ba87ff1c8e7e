// The floor of counting at the Node server: one diagnostics_channel subscriber on `http.server.response.finish`,
// counting every response into a number, and nothing on the request path.
import { subscribe } from 'node:diagnostics_channel';
import { serve } from './serve.js';

const counted = { responses: 0 };
subscribe('http.server.response.finish', () => {
  counted.responses++;
});

await serve();
