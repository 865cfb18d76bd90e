/**
 * The flags `tidepool pool serve` and `tidepool pool start` share, their parsers (each error names
 * the flag and its variable), and the way back from parsed flags to arguments for a background pool.
 */
import { Option, InvalidArgumentError, type Command } from 'commander';
import { LOG_FORMAT_HELP, logFormatOption, type LogFormat } from '../log-output.js';

export interface PoolServeFlags {
  host?: string;
  port?: number;
  apiKey?: string[];
  isolation?: 'bwrap' | 'none';
  containerType?: 'python' | 'shell';
  egress?: boolean;
  egressAllow?: string[];
  maxSessions?: number;
  readySessions?: number;
  maxReadySessions?: number;
  cooldownSeconds?: number;
  memoryMb?: number;
  maxExecutionSeconds?: number;
  maxConnections?: number;
  maxConnectionsPerClient?: number;
  resultStoreMb?: number;
  maxResultMb?: number;
  pendingCodeMb?: number;
  auditLog?: string;
  sessionJournal?: string;
  auditIncludeContent?: boolean;
  logFormat?: LogFormat;
  /** On SIGTERM, finish running work and refuse new identifiers before stopping. */
  drainOnSigterm?: boolean;
  drainTimeoutSeconds?: number;
  /** Run as the machine's pool in the background (what `pool start` does). */
  background?: boolean;
  /** Internal: where a background pool records its pid, URL and key once it listens. */
  stateFile?: string;
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

/** Every setting flag of the pool server; `egressHelp` differs between `serve` and `start`. */
export function addPoolServeOptions(command: Command, egressHelp: string): Command {
  return command
    .option('--host <host>', 'address to bind (TIDEPOOL_POOL_HOST; default 127.0.0.1)')
    .option('--port <n>', 'port; 0 picks a free one (TIDEPOOL_POOL_PORT; default 8787)', wholeNumber('--port', 'TIDEPOOL_POOL_PORT', 0, 65535))
    .option('--api-key <key>', 'bearer key clients must send; repeat for several (TIDEPOOL_POOL_API_KEYS, comma-separated); required unless bound to loopback with egress off', collect)
    .option('--isolation <mode>', 'bwrap or none (TIDEPOOL_POOL_ISOLATION; default bwrap; none runs sessions unisolated on the host: trusted code only)', choice('--isolation', 'TIDEPOOL_POOL_ISOLATION', ['bwrap', 'none'] as const))
    .option('--container-type <kind>', 'python, node or shell: what every session of the pool runs, Python cells, JavaScript cells (NodeLTS) or shellCommand/execCommandAndArgs executions (TIDEPOOL_POOL_CONTAINER_TYPE; default python)', choice('--container-type', 'TIDEPOOL_POOL_CONTAINER_TYPE', ['python', 'node', 'shell'] as const))
    .option('--egress <on|off>', egressHelp, onOff)
    .option('--egress-allow <ip:port>', 'with egress on, let sessions reach this address of this machine or a private network (e.g. a package mirror); repeat for several (TIDEPOOL_POOL_EGRESS_ALLOW, comma-separated)', collect)
    .option('--max-sessions <n>', 'most sessions at once (TIDEPOOL_POOL_MAX_SESSIONS; default 100)', wholeNumber('--max-sessions', 'TIDEPOOL_POOL_MAX_SESSIONS', 1))
    .option('--ready-sessions <n>', 'pre-warmed sessions kept ready (TIDEPOOL_POOL_READY_SESSIONS; default 4)', wholeNumber('--ready-sessions', 'TIDEPOOL_POOL_READY_SESSIONS', 0))
    .option(
      '--max-ready-sessions <n>',
      'most sessions kept ready while new identifiers keep arriving; each costs an idle session\'s memory (TIDEPOOL_POOL_MAX_READY_SESSIONS; default 16, at least --ready-sessions)',
      wholeNumber('--max-ready-sessions', 'TIDEPOOL_POOL_MAX_READY_SESSIONS', 0),
    )
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
    .option(
      '--pending-code-mb <m>',
      'memory for the code of executions that wait or run, all sessions together; past it a new execution answers 429 ServerBusy, unless its body is 16 KiB or less (TIDEPOOL_POOL_PENDING_CODE_MB; default 64, at least 32)',
      wholeNumber('--pending-code-mb', 'TIDEPOOL_POOL_PENDING_CODE_MB', 1),
    )
    .option('--audit-log <file>', 'append a JSON line per request to this file (TIDEPOOL_POOL_AUDIT_LOG)')
    .option('--audit-include-content', 'also record executed code in the audit log')
    .option(
      '--session-journal <file>',
      'keep (hashed) identifiers of live sessions in this file, so that after a restart the first call on a lost session says so in its stderr (TIDEPOOL_POOL_SESSION_JOURNAL; `pool start` keeps one in its state directory)',
    )
    .option('--log-format <format>', LOG_FORMAT_HELP, logFormatOption)
    .option(
      '--drain-on-sigterm',
      'on SIGTERM, refuse new identifiers (503 + Retry-After, /readyz 503), keep serving held sessions, and stop once no cell runs (TIDEPOOL_POOL_DRAIN_ON_SIGTERM; default off: stop at once)',
    )
    .option(
      '--drain-timeout-seconds <s>',
      'longest drain; what still runs then ends with the pool (TIDEPOOL_POOL_DRAIN_TIMEOUT_SECONDS; default 230)',
      wholeNumber('--drain-timeout-seconds', 'TIDEPOOL_POOL_DRAIN_TIMEOUT_SECONDS', 1),
    )
    .addOption(new Option('--state-file <file>').hideHelp());
}

/** Flag names of the settings a background pool is started with (API keys travel in its environment). */
const FORWARDED: [keyof PoolServeFlags, string][] = [
  ['host', '--host'],
  ['port', '--port'],
  ['isolation', '--isolation'],
  ['containerType', '--container-type'],
  ['egress', '--egress'],
  ['egressAllow', '--egress-allow'],
  ['maxSessions', '--max-sessions'],
  ['readySessions', '--ready-sessions'],
  ['maxReadySessions', '--max-ready-sessions'],
  ['cooldownSeconds', '--cooldown-seconds'],
  ['memoryMb', '--memory-mb'],
  ['maxExecutionSeconds', '--max-execution-seconds'],
  ['maxConnections', '--max-connections'],
  ['maxConnectionsPerClient', '--max-connections-per-client'],
  ['resultStoreMb', '--result-store-mb'],
  ['maxResultMb', '--max-result-mb'],
  ['pendingCodeMb', '--pending-code-mb'],
  ['auditLog', '--audit-log'],
  ['auditIncludeContent', '--audit-include-content'],
  ['sessionJournal', '--session-journal'],
  ['logFormat', '--log-format'],
  ['drainOnSigterm', '--drain-on-sigterm'],
  ['drainTimeoutSeconds', '--drain-timeout-seconds'],
];

/** The command-line arguments that give a `pool serve` these settings. */
export function serveArguments(flags: PoolServeFlags): string[] {
  const args: string[] = [];
  for (const [key, flag] of FORWARDED) {
    const value = flags[key];
    if (value === undefined || (value === false && (key === 'auditIncludeContent' || key === 'drainOnSigterm'))) continue;
    if (key === 'egress') args.push(flag, value ? 'on' : 'off');
    else if (value === true) args.push(flag);
    else if (Array.isArray(value)) for (const item of value) args.push(flag, item);
    else args.push(flag, String(value));
  }
  return args;
}
