/**
 * MCP over stdio: one client, one MCP session, one sandbox session. When the client closes the
 * pipe (or the transport fails), the sandbox session ends and the returned promise resolves.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpSession, type McpSessionOptions } from './session.js';

export interface StdioServeOptions extends McpSessionOptions {
  stdin?: Readable;
  stdout?: Writable;
  /** Ends the session early (e.g. Ctrl-C). */
  signal?: AbortSignal;
}

/** Resolves once the session is over: `client-closed` when the client went away, `stopped` on the signal. */
export async function serveMcpOverStdio(options: StdioServeOptions): Promise<'client-closed' | 'stopped'> {
  const stdin = options.stdin ?? process.stdin;
  // The code tools offered depend on the sandbox's languages, so they are known before the first listing.
  const session = createMcpSession({ ...options, languages: options.languages ?? (await options.sandbox.languages()) });
  const transport = new StdioServerTransport(stdin, options.stdout ?? process.stdout);
  let reason: 'client-closed' | 'stopped' = 'client-closed';
  const ended = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    // The transport reads but does not notice end of input; a client that went away closes it here.
    stdin.once('end', () => void transport.close());
    stdin.once('close', () => void transport.close());
    options.signal?.addEventListener(
      'abort',
      () => {
        reason = 'stopped';
        void transport.close();
      },
      { once: true },
    );
  });
  await session.server.connect(transport);
  await ended;
  await session.close();
  return reason;
}
