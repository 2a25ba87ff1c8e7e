import { request } from 'node:http';

/**
 * One HTTP probe as the kubelet sends it: a GET on a fresh connection (no keep-alive), success on 2xx and 3xx,
 * failure on any other status, a connection error or no answer within `timeoutMs`.
 */
export function httpProbe(port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { 'user-agent': 'kube-probe/1.33' } });
    const timer = setTimeout(() => req.destroy(new Error('probe timeout')), timeoutMs);
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 400);
      });
    });
    req.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    req.end();
  });
}

/** Every `<name>{...} <value>` or `<name> <value>` sample of a text exposition, summed. */
export function sumSamples(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/** GETs `path` on a fresh connection and resolves with the body, or `undefined` on any failure or timeout. */
export function fetchText(port: number, path: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false });
    const timer = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.once('end', () => {
        clearTimeout(timer);
        resolve(res.statusCode === 200 ? body : undefined);
      });
      res.once('error', () => resolve(undefined));
    });
    req.once('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    req.end();
  });
}
