/**
 * A records API in a process of its own, for the end-to-end sync benchmark: GET
 * /records?cursor=<n>&limit=<m> answers `{ records, next_cursor }` with the benchmark's ~1 KB
 * records (records.ts), `next_cursor` null after the last page; it wants `x-api-key: bench-key`.
 * Prints its URL on stdout and exits when stdin closes.
 *
 *   node bench/sync/records-api.ts <total>
 */
import { createServer } from 'node:http';
import { record } from './records.ts';

const total = Number(process.argv[2] ?? 100_000);
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname !== '/records') return void res.writeHead(404).end();
  if (req.headers['x-api-key'] !== 'bench-key') return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
  const cursor = Number(url.searchParams.get('cursor') ?? 0);
  const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? 100));
  const records = [];
  for (let i = cursor; i < Math.min(total, cursor + limit); i++) records.push(record(i));
  const next = cursor + limit < total ? String(cursor + limit) : null;
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ records, next_cursor: next }));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`http://127.0.0.1:${address.port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
