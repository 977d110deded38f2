/**
 * The baseline for bench/mcp: the smallest honest MCP server doing what `fake_get-issue` does —
 * one tool that GETs /issues/:id from the fake API with the API key inline — written directly
 * on the SDK's McpServer. `--stdio`, or HTTP (stateless, a server and transport per request,
 * as the SDK's own example does) on a free port printed to stderr.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const base = process.env['FAKE_API_URL']!;

function build(): McpServer {
  const server = new McpServer({ name: 'baseline', version: '1.0.0' });
  server.registerTool(
    'get_issue',
    { description: 'Fetch one issue by id.', inputSchema: { id: z.string() }, outputSchema: { id: z.string(), title: z.string(), state: z.string(), updated_at: z.string() } },
    async ({ id }) => {
      const response = await fetch(`${base}/issues/${encodeURIComponent(id)}`, { headers: { 'x-api-key': 'test-api-key' } });
      const issue = (await response.json()) as Record<string, unknown>;
      return { content: [{ type: 'text', text: JSON.stringify(issue) }], structuredContent: issue };
    },
  );
  return server;
}

if (process.argv.includes('--stdio')) {
  await build().connect(new StdioServerTransport());
} else {
  const http = createServer(async (req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const server = build();
    const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, JSON.parse(Buffer.concat(chunks).toString('utf8')));
  });
  http.listen(0, '127.0.0.1', () => process.stderr.write(`listening on http://127.0.0.1:${(http.address() as AddressInfo).port}\n`));
}
