/**
 * Runs `tidepool mcp`. Over stdio, stdout belongs to the protocol: everything for people goes to
 * stderr. The sandbox is shared by all MCP sessions; each session has its own sandbox session.
 */
import { LifecycleRouter } from '../../sandbox/lifecycle-router.js';
import { openCliSandbox } from '../sandbox-choice.js';
import type { CliContext } from '../context.js';
import type { LifecycleListener } from '../../sandbox/lifecycle.js';
import { instrumentSandbox } from '../../sandbox/instrumentation.js';
import type { McpCommandOptions } from './mcp.js';
import { todayFromEnv } from './weather-options.js';

export async function runMcp(options: McpCommandOptions, context: CliContext): Promise<void> {
  const { env, stderr } = context;
  const key = env.TIDEPOOL_MCP_KEY?.trim() || undefined;
  const mcp = await import('../../mcp/index.js');
  const today = todayFromEnv(env);
  const weather = { env, ...(today !== undefined && { today }) };
  const subscribeLifecycle = (identifier: string, listener: LifecycleListener) => router.subscribe(identifier, listener);
  if (options.transport === 'http') {
    // Checked before a sandbox starts, so a refused bind costs nothing.
    const { checkHttpAccess } = await import('../../mcp/http-access.js');
    checkHttpAccess(options.host, key);
  }
  const router = new LifecycleRouter();
  const opened = await openCliSandbox(options.sandbox, context, { needsEgress: true, longLived: true, onLifecycle: router.dispatch });
  // A running local pool is reached without the factory, which instruments every other sandbox.
  const sandbox = instrumentSandbox(opened.sandbox);
  try {
    if (options.transport === 'stdio') {
      stderr.write(`Tidepool MCP server on stdio (${sandbox.type}); waiting for a client.\n`);
      const reason = await mcp.serveMcpOverStdio({ sandbox, weather, subscribeLifecycle, stdout: context.stdout, signal: context.shutdownSignal });
      stderr.write(reason === 'client-closed' ? 'The MCP client closed the connection; its sandbox session has ended.\n' : 'Stopped; the sandbox session has ended.\n');
      return;
    }
    const server = await mcp.startMcpHttpServer({ sandbox, weather, subscribeLifecycle, host: options.host, port: options.port, key });
    context.stdout.write(`Tidepool MCP server (${sandbox.type}) at ${server.url}${key ? ' (clients send "Authorization: Bearer <TIDEPOOL_MCP_KEY>")' : ''}\nPress Ctrl-C to stop.\n`);
    await new Promise<void>((resolve) => {
      if (context.shutdownSignal.aborted) resolve();
      else context.shutdownSignal.addEventListener('abort', () => resolve(), { once: true });
    });
    stderr.write('Stopping…\n');
    await server.close();
  } finally {
    await sandbox.close();
  }
}
