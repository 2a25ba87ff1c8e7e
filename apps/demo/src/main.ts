import { buildDemo } from './app.js';
import { readConfig } from './config.js';

const config = readConfig(process.env);
// No warmscale options: the middleware reads its WARMSCALE_* variables from process.env itself.
const app = await buildDemo({ logger: { level: config.logLevel } });
await app.listen({ port: config.port, host: config.host });
