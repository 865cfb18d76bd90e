/** `tidepool mcp`: Tidepool's tools as an MCP server, over stdio (default) or Streamable HTTP. */
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../context.js';

export interface McpCommandOptions {
  sandbox: string;
  transport: 'stdio' | 'http';
  port: number;
  host: string;
}

export function registerMcp(program: Command, context: CliContext): void {
  program
    .command('mcp')
    .description(
      'Serve run_python, research_weather, chart_weather, upload_file, list_files and download_file to MCP clients (Claude Desktop, Cursor, VS Code…), ' +
        'and run_javascript and run_shell where the sandbox runs JavaScript or shell commands. ' +
        'Each MCP session gets its own sandbox session, ended when the client disconnects.',
    )
    .option('-s, --sandbox <name>', 'local, pool, aca, e2b or daytona (pool uses the local pool when one runs with egress)', 'pool')
    .option('-t, --transport <kind>', 'stdio (the client starts this command) or http (Streamable HTTP at /mcp)', transportKind, 'stdio')
    .option('-p, --port <n>', 'HTTP port (0 picks a free one)', portNumber, 8765)
    .option(
      '--host <host>',
      'HTTP bind address. Without TIDEPOOL_MCP_KEY only loopback is allowed; with it, every request must send "Authorization: Bearer <key>"',
      '127.0.0.1',
    )
    .addHelpText('after', '\nEnvironment: TIDEPOOL_MCP_KEY (HTTP bearer key, 16+ characters), TIDEPOOL_TODAY, OPEN_METEO_*, OTEL_EXPORTER_OTLP_ENDPOINT.\nClient configuration: see "MCP server" in the README.')
    .action(async (options: McpCommandOptions) => {
      const { runMcp } = await import('./mcp-run.js');
      await runMcp(options, context);
    });
}

function transportKind(value: string): 'stdio' | 'http' {
  if (value !== 'stdio' && value !== 'http') throw new InvalidArgumentError(`--transport must be stdio or http, got "${value}".`);
  return value;
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`--port must be 0-65535, got "${value}".`);
  return port;
}
