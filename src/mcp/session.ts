/**
 * One MCP session: an McpServer with Tidepool's tools bound to a sandbox session of its own, opened
 * lazily by the backend (no I/O until the first tool call) and closed with the MCP session.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { SandboxSession } from '../sandbox/types.js';
import { registerTidepoolTools, type McpToolBinding } from './tools.js';

export const MCP_SERVER_NAME = 'tidepool';
export const MCP_SERVER_VERSION = '0.1.0';

const INSTRUCTIONS =
  'Tools run code (Python, and JavaScript or shell commands where offered) in a sandbox session that belongs to this connection: ' +
  'variables, the shell\'s working directory and environment, and files in /mnt/data persist between calls ' +
  'until the client disconnects. Use upload_file/list_files/download_file to move files in and out.';

export type McpSessionOptions = Omit<McpToolBinding, 'session'>;

export interface McpSession {
  server: McpServer;
  sandboxSession: SandboxSession;
  /** Closes the MCP server and ends the sandbox session. Idempotent. */
  close(): Promise<void>;
}

export function createMcpSession(options: McpSessionOptions): McpSession {
  const server = new McpServer({ name: MCP_SERVER_NAME, version: MCP_SERVER_VERSION }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  // No identifier: a fresh random one that only this MCP session knows, deleted when it closes.
  const sandboxSession = options.sandbox.session();
  registerTidepoolTools(server, { ...options, session: sandboxSession });
  let closing: Promise<void> | undefined;
  return {
    server,
    sandboxSession,
    close: () => {
      closing ??= (async () => {
        await server.close().catch(() => undefined);
        await sandboxSession.close().catch(() => undefined);
      })();
      return closing;
    },
  };
}
