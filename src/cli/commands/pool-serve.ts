/**
 * `tidepool pool serve`: run the ACA-compatible session pool until Ctrl-C / SIGTERM.
 * Prints one line on stdout — the management endpoint URL — once listening; logs go to stderr.
 */
import { once } from 'node:events';
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { isLoopbackHost, PoolError, startPoolServer, type PoolServerOptions } from '../../index.js';
import { EXIT_USAGE, type CliContext } from '../context.js';

interface PoolServeFlags {
  host?: string;
  port?: number;
  apiKey?: string[];
  isolation?: 'bwrap' | 'none';
  egress?: boolean;
  egressAllow?: string[];
  maxSessions?: number;
  readySessions?: number;
  cooldownSeconds?: number;
  memoryMb?: number;
  maxExecutionSeconds?: number;
  maxConnections?: number;
  maxConnectionsPerClient?: number;
  resultStoreMb?: number;
  maxResultMb?: number;
  auditLog?: string;
  auditIncludeContent?: boolean;
}

function wholeNumber(flag: string, envName: string, smallest: number, largest = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < smallest || parsed > largest) {
      const range = largest === Number.MAX_SAFE_INTEGER ? `a whole number of ${smallest} or more` : `a whole number from ${smallest} to ${largest}`;
      throw new InvalidArgumentError(`${flag} (or ${envName}) must be ${range}, got "${value}".`);
    }
    return parsed;
  };
}

function choice<T extends string>(flag: string, envName: string, values: readonly T[]) {
  return (value: string): T => {
    const lower = value.toLowerCase() as T;
    if (!values.includes(lower)) throw new InvalidArgumentError(`${flag} (or ${envName}) must be one of ${values.join(', ')}, got "${value}".`);
    return lower;
  };
}

function onOff(value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'on') return true;
  if (lower === 'off') return false;
  throw new InvalidArgumentError(`--egress (or TIDEPOOL_POOL_EGRESS) must be on or off, got "${value}".`);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerPoolServe(program: Command, context: CliContext): void {
  const pool = program.command('pool').description('The self-hosted session pool that speaks the Azure Container Apps dynamic-sessions API');
  pool
    .command('serve')
    .description('Serve the pool until Ctrl-C; prints the management endpoint URL (set it as ACA_POOL_MANAGEMENT_ENDPOINT for any ACA client)')
    .option('--host <host>', 'address to bind (TIDEPOOL_POOL_HOST; default 127.0.0.1)')
    .option('--port <n>', 'port; 0 picks a free one (TIDEPOOL_POOL_PORT; default 8787)', wholeNumber('--port', 'TIDEPOOL_POOL_PORT', 0, 65535))
    .option('--api-key <key>', 'bearer key clients must send; repeat for several (TIDEPOOL_POOL_API_KEYS, comma-separated); required unless bound to loopback with egress off', collect)
    .option('--isolation <mode>', 'bwrap or none (TIDEPOOL_POOL_ISOLATION; default bwrap; none runs sessions unisolated on the host: trusted code only)', choice('--isolation', 'TIDEPOOL_POOL_ISOLATION', ['bwrap', 'none'] as const))
    .option('--egress <on|off>', 'network access from sessions; on needs --api-key (TIDEPOOL_POOL_EGRESS; default off)', onOff)
    .option('--egress-allow <ip:port>', "with egress on, let sessions reach this address of this machine or a private network (e.g. a package mirror); repeat for several (TIDEPOOL_POOL_EGRESS_ALLOW, comma-separated)", collect)
    .option('--max-sessions <n>', 'most sessions at once (TIDEPOOL_POOL_MAX_SESSIONS; default 100)', wholeNumber('--max-sessions', 'TIDEPOOL_POOL_MAX_SESSIONS', 1))
    .option('--ready-sessions <n>', 'pre-warmed sessions kept ready (TIDEPOOL_POOL_READY_SESSIONS; default 4)', wholeNumber('--ready-sessions', 'TIDEPOOL_POOL_READY_SESSIONS', 0))
    .option('--cooldown-seconds <s>', 'idle time before a session ends (TIDEPOOL_POOL_COOLDOWN_SECONDS; default 300)', wholeNumber('--cooldown-seconds', 'TIDEPOOL_POOL_COOLDOWN_SECONDS', 1))
    .option('--memory-mb <m>', 'memory limit per session (TIDEPOOL_POOL_MEMORY_MB; default 1024)', wholeNumber('--memory-mb', 'TIDEPOOL_POOL_MEMORY_MB', 1))
    .option('--max-execution-seconds <s>', 'cap on timeoutInSeconds (TIDEPOOL_POOL_MAX_EXECUTION_SECONDS; default 220)', wholeNumber('--max-execution-seconds', 'TIDEPOOL_POOL_MAX_EXECUTION_SECONDS', 1))
    .option('--max-connections <n>', 'open connections at once, all clients together (TIDEPOOL_POOL_MAX_CONNECTIONS; default 1024)', wholeNumber('--max-connections', 'TIDEPOOL_POOL_MAX_CONNECTIONS', 1))
    .option(
      '--max-connections-per-client <n>',
      'open connections at once from one client address (TIDEPOOL_POOL_MAX_CONNECTIONS_PER_CLIENT; default 256)',
      wholeNumber('--max-connections-per-client', 'TIDEPOOL_POOL_MAX_CONNECTIONS_PER_CLIENT', 1),
    )
    .option('--result-store-mb <m>', 'memory for execution results kept for polling; oldest evicted first (TIDEPOOL_POOL_RESULT_STORE_MB; default 256)', wholeNumber('--result-store-mb', 'TIDEPOOL_POOL_RESULT_STORE_MB', 1))
    .option('--max-result-mb <m>', 'largest result of one execution (TIDEPOOL_POOL_MAX_RESULT_MB; default 16)', wholeNumber('--max-result-mb', 'TIDEPOOL_POOL_MAX_RESULT_MB', 1))
    .option('--audit-log <file>', 'append a JSON line per request to this file (TIDEPOOL_POOL_AUDIT_LOG)')
    .option('--audit-include-content', 'also record executed code in the audit log')
    .action(async (flags: PoolServeFlags) => {
      const logger = pino({ name: 'tidepool-pool', level: context.env.TIDEPOOL_LOG_LEVEL ?? 'info' }, context.stderr);
      const options: PoolServerOptions = {
        host: flags.host,
        port: flags.port,
        apiKeys: flags.apiKey,
        isolation: flags.isolation,
        egress: flags.egress,
        egressAllow: flags.egressAllow,
        maxSessions: flags.maxSessions,
        readySessions: flags.readySessions,
        cooldownSeconds: flags.cooldownSeconds,
        memoryMb: flags.memoryMb,
        maxExecutionSeconds: flags.maxExecutionSeconds,
        maxConnections: flags.maxConnections,
        maxConnectionsPerClient: flags.maxConnectionsPerClient,
        resultStoreMb: flags.resultStoreMb,
        maxResultMb: flags.maxResultMb,
        auditLogPath: flags.auditLog,
        auditIncludeContent: flags.auditIncludeContent ?? false,
        logger,
        env: context.env,
      };
      let server;
      try {
        server = await startPoolServer(options);
      } catch (error) {
        if (error instanceof PoolError && error.code === 'invalid_input') {
          context.stderr.write(`Error: ${error.message}\n`);
          context.exitCode = EXIT_USAGE;
          return;
        }
        throw error;
      }
      context.stdout.write(`${server.url}\n`);
      const { settings } = server;
      const open = !isLoopbackHost(new URL(server.url).hostname) ? 'reachable from the network' : 'loopback only';
      context.stderr.write(
        `Tidepool pool listening on ${server.url} (${open}; isolation ${settings.isolation}, egress ${settings.egress ? 'on' : 'off'}, ` +
          `max ${settings.maxSessions} sessions, ${settings.readySessions} ready). Press Ctrl-C to stop.\n`,
      );
      if (!context.shutdownSignal.aborted) await once(context.shutdownSignal, 'abort');
      context.stderr.write('Stopping the pool: ending every session...\n');
      await server.close();
      context.stderr.write('Pool stopped.\n');
    });
}
