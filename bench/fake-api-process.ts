/**
 * The fake API in a process of its own, for benchmarks where the upstream must be as remote to
 * the baseline as to patchbay (a real provider is another machine). Prints its URL on stdout,
 * forgets recorded requests every second (a benchmark makes hundreds of thousands), and exits
 * when its stdin closes (the benchmark ended or died).
 *
 * @example
 * const { url, child } = await startRemoteFakeApi();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFakeApi } from '../test/fake-api/server.ts';

/** Starts this file as a child process and resolves with the fake API's URL. */
export function startRemoteFakeApi(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const line = out.split('\n')[0]!;
      if (out.includes('\n')) resolve({ url: line.trim(), child });
    });
    child.once('exit', (code) => reject(new Error(`the fake API process exited (${code}) before it listened`)));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const api = await startFakeApi();
  setInterval(() => (api.requests.length = 0), 1000).unref();
  process.stdin.on('end', () => void api.close().then(() => process.exit(0)));
  process.stdin.resume();
  process.stdout.write(`${api.url}\n`);
}
