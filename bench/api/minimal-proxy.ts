/**
 * The peer of `/proxy` in bench/api: the least a Node proxy does — node:http in, undici out
 * (a keep-alive pool), the API key added, the answer's status, headers and body passed back —
 * in a process of its own like `patchbay serve`. No auth check, no routing, no logging: what is
 * left of patchbay's proxy time beyond this is patchbay's own. Prints its URL on stdout; exits
 * when stdin closes.
 *
 *   node bench/api/minimal-proxy.ts <upstream-url>
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

const upstream = process.argv[2];
if (!upstream) throw new Error('usage: node bench/api/minimal-proxy.ts <upstream-url>');
const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000 });
const server = createServer((req, res) => {
  request(`${upstream}${req.url}`, { method: req.method as 'GET', headers: { 'x-api-key': 'test-api-key' }, dispatcher: agent })
    .then(async (answer) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(answer.headers)) if (typeof value === 'string' && name !== 'connection' && name !== 'keep-alive') headers[name] = value;
      res.writeHead(answer.statusCode, headers);
      for await (const chunk of answer.body) res.write(chunk);
      res.end();
    })
    .catch(() => {
      res.writeHead(502);
      res.end();
    });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
