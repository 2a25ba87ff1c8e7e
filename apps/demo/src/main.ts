import { buildDemo } from './app.js';
import { readConfig } from './config.js';

const config = readConfig(process.env);
const app = await buildDemo({ logger: { level: config.logLevel }, warmscale: config.warmscale });
await app.listen({ port: config.port, host: config.host });
