/**
 * MCP over Streamable HTTP at /mcp, with the SDK's session handling: an `initialize` request opens an
 * MCP session (and, lazily, its sandbox session), later requests name it in `Mcp-Session-Id`, and
 * DELETE ends it. Sessions of clients that vanish without DELETE end after an idle timeout.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { checkHttpAccess, hasKey, isLoopbackHost } from './http-access.js';
import { createMcpSession, type McpSession, type McpSessionOptions } from './session.js';

export const MCP_PATH = '/mcp';
export const DEFAULT_MCP_PORT = 8765;
/** An upload_file call carries up to 20 MiB as base64, plus JSON-RPC framing. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60_000;

export interface McpHttpOptions extends McpSessionOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Bearer key every request must carry; required to bind beyond loopback. */
  key?: string;
  /** Sessions with no request for this long are ended; default 30 minutes. */
  idleTimeoutMs?: number;
}

export interface RunningMcpHttpServer {
  /** e.g. http://127.0.0.1:8765/mcp */
  url: string;
  /** MCP sessions currently open. */
  sessionCount(): number;
  close(): Promise<void>;
}

interface Entry {
  transport: StreamableHTTPServerTransport;
  session: McpSession;
  lastSeen: number;
}

export async function startMcpHttpServer(options: McpHttpOptions): Promise<RunningMcpHttpServer> {
  const host = options.host ?? '127.0.0.1';
  checkHttpAccess(host, options.key);
  // The code tools offered depend on the sandbox's languages; asked once, before the first client.
  const languages = options.languages ?? (await options.sandbox.languages());
  const entries = new Map<string, Entry>();
  let allowedHosts: string[] | undefined;

  const end = async (id: string) => {
    const entry = entries.get(id);
    if (!entry) return;
    entries.delete(id);
    await entry.session.close();
  };

  const open = async (request: IncomingMessage, response: ServerResponse, body: unknown) => {
    const session = createMcpSession({ ...options, languages });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        entries.set(id, { transport, session, lastSeen: Date.now() });
      },
      onsessionclosed: (id) => end(id),
      // A page in the browser must not drive a loopback server through DNS rebinding.
      ...(allowedHosts && { enableDnsRebindingProtection: true, allowedHosts }),
    });
    transport.onclose = () => {
      if (transport.sessionId) void end(transport.sessionId);
      else void session.close();
    };
    await session.server.connect(transport);
    await transport.handleRequest(request, response, body);
    // An initialize that failed never got a session id: nothing else will close it.
    if (!transport.sessionId) await session.close();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== MCP_PATH) return sendError(response, 404, `Not found: the MCP endpoint is ${MCP_PATH}.`);
    if (options.key !== undefined && !hasKey(request.headers.authorization, options.key)) {
      response.setHeader('www-authenticate', 'Bearer');
      return sendError(response, 401, 'Missing or wrong key: send "Authorization: Bearer <TIDEPOOL_MCP_KEY>".');
    }
    const body = request.method === 'POST' ? await readJson(request) : undefined;
    if (body instanceof BodyError) return sendError(response, body.status, body.message);
    const sessionId = headerValue(request.headers['mcp-session-id']);
    if (sessionId !== undefined) {
      const entry = entries.get(sessionId);
      if (!entry) return sendError(response, 404, 'Unknown or expired MCP session; start a new one with an initialize request.');
      entry.lastSeen = Date.now();
      return entry.transport.handleRequest(request, response, body);
    }
    if (request.method === 'POST' && isInitializeRequest(body)) return open(request, response, body);
    return sendError(response, 400, 'No Mcp-Session-Id header: the first request of a session must be "initialize".');
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, `Internal error: ${error instanceof Error ? error.message : String(error)}`);
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_MCP_PORT, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  if (isLoopbackHost(host)) allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];

  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const sweep = setInterval(() => {
    const cutoff = Date.now() - idleTimeoutMs;
    for (const [id, entry] of entries) if (entry.lastSeen < cutoff) void end(id);
  }, Math.min(idleTimeoutMs, 60_000));
  sweep.unref();

  const displayHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${displayHost}:${port}${MCP_PATH}`,
    sessionCount: () => entries.size,
    close: async () => {
      clearInterval(sweep);
      await Promise.all([...entries.keys()].map((id) => end(id)));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

class BodyError {
  constructor(
    readonly status: number,
    readonly message: string,
  ) {}
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return new BodyError(413, `Request body over ${MAX_BODY_BYTES} bytes; upload large files in parts or fetch them from code.`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return new BodyError(400, 'The request body is not JSON; MCP requests are JSON-RPC messages.');
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Errors before the SDK takes over, shaped as JSON-RPC so MCP clients show the message. */
function sendError(response: ServerResponse, status: number, message: string): void {
  const text = JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
