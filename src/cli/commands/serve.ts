/** `tidepool serve`: the web UI with one travel agent per sandbox backend, until Ctrl-C. */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_WEB_HOST, DEFAULT_WEB_PORT, WEB_HOST_ENV, WEB_PORT_ENV } from '../../config/web-settings.js';
import type { CliContext } from '../context.js';
import { LOG_FORMAT_HELP, logFormatOption, type LogFormat } from '../log-output.js';

interface ServeOptions {
  port?: number;
  host?: string;
  db?: string;
  token?: string;
  allowUnsandboxedLocal?: boolean;
  logFormat?: LogFormat;
}

export function registerServe(program: Command, context: CliContext): void {
  program
    .command('serve')
    .description(
      'Start the web UI: chat with a travel agent per sandbox backend, tool cards with lifecycle timings, and an OpenAI-compatible /v1 API. ' +
        'Every page and API needs the access token: open the printed http://…/?token=… URL in your browser, or send "Authorization: Bearer <token>".',
    )
    .option('-p, --port <n>', `port to listen on (default ${WEB_PORT_ENV}, else ${DEFAULT_WEB_PORT}; 0 picks a free one)`, portNumber)
    .option('--host <host>', `address to bind (default ${WEB_HOST_ENV}, else ${DEFAULT_WEB_HOST})`)
    .option('--db <path>', 'SQLite file for conversations (default TIDEPOOL_DB_PATH, else tidepool/tidepool.db in your data directory)')
    .option('--token <token>', 'access token (16+ URL-safe characters; default TIDEPOOL_WEB_TOKEN, else a random one at each start). Prefer the variable: command lines are visible to other users')
    .option(
      '--allow-unsandboxed-local',
      'also offer travel-local, which runs code on this machine with no isolation, even though the pool\'s sessions have network egress and could reach this server ' +
        '(default TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL=1; never on a non-loopback --host)',
    )
    .option('--log-format <format>', LOG_FORMAT_HELP, logFormatOption)
    .action(async (options: ServeOptions) => {
      const [{ startWebServer }, { createCliLogger, resolveLogFormat }, { isLoopback }] = await Promise.all([import('../../web/index.js'), import('../log-output.js'), import('../../config/network.js')]);
      const format = resolveLogFormat(options.logFormat, context.env, context.stderr);
      const level = context.env.TIDEPOOL_LOG_LEVEL?.trim() || 'warn';
      const logger = await createCliLogger({ name: 'tidepool-web', level, format, stream: context.stderr, base: { component: 'web' } });
      // The embedded pool of travel-pool logs errors only, in the same format.
      const poolLogger = await createCliLogger({ name: 'tidepool-pool', level: context.env.TIDEPOOL_LOG_LEVEL?.trim() || 'error', format, stream: context.stderr });
      const server = await startWebServer({
        port: options.port,
        host: options.host,
        dbPath: options.db,
        token: options.token,
        allowUnsandboxedLocal: options.allowUnsandboxedLocal,
        env: context.env,
        logger,
        agents: { sandboxOptions: { pool: { pool: { logger: poolLogger } } } },
      });
      const { stdout } = context;
      stdout.write(`Tidepool is serving at ${server.loginUrl}\n`);
      stdout.write('  Open that link in your browser; it keeps the token in a cookie. Anyone with the token can run code in the sandboxes.\n');
      stdout.write(`  OpenAI-compatible API: ${server.url}/v1 with "Authorization: Bearer <the token above>" (models: ${server.agents.list().filter((a) => a.available).map((a) => a.id).join(', ')})\n`);
      stdout.write(`  Conversations: ${server.dbPath}\n`);
      stdout.write(server.modelSetup.configured ? `  Model: ${server.modelSetup.config.label}\n` : `  No model configured: the Tools page works. For chat: ${server.modelSetup.reason.split('\n\n')[1] ?? server.modelSetup.reason}\n`);
      for (const agent of server.agents.list().filter((a) => !a.available)) stdout.write(`  ${agent.id} unavailable: ${agent.reason}\n`);
      if (!isLoopback(server.host)) stdout.write(`  Warning: ${server.url} is plain HTTP: the token and every conversation cross the network unencrypted. Put it behind HTTPS or keep it on 127.0.0.1.\n`);
      stdout.write('Press Ctrl-C to stop.\n');
      await waitForAbort(context.shutdownSignal);
      stdout.write('Stopping…\n');
      await server.close();
    });
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`--port must be 0-65535, got "${value}".`);
  return port;
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
