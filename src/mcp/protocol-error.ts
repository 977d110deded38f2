/**
 * A JSON-RPC error for the few failures that are protocol errors (an unknown tool, malformed
 * params). The SDK's `McpError` writes "MCP error -32602: " into its own message, and the SDK's
 * client prefixes the same again, so a person read `MCP error -32602: MCP error -32602: …`. The
 * SDK answers any thrown error with its `code` and `message`, so this class carries both plainly.
 *
 * @example
 * throw new ProtocolError(ErrorCode.InvalidParams, 'Unknown tool: "nope". Did you mean github_create-issue?');
 */
export class ProtocolError extends Error {
  /** The JSON-RPC error code (`ErrorCode.InvalidParams`, …). */
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
