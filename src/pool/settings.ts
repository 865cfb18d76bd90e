/**
 * One resolver for the pool's settings: explicit option, else TIDEPOOL_POOL_* environment variable,
 * else the default. A bad value raises PoolError('invalid_input') naming the variable and the CLI flag.
 */
import { resolveHttpSettings, type PoolHttpOptions, type PoolHttpSettings } from './http/http-settings.js';
import { PoolError, type IsolationMode, type PoolSettings } from './types.js';

export type Env = Record<string, string | undefined>;

export const DEFAULT_POOL_HOST = '127.0.0.1';
export const DEFAULT_POOL_PORT = 8787;
export const DEFAULT_PYTHON_PATH = '/usr/bin/python3';
export const ISOLATION_MODES: readonly IsolationMode[] = ['bwrap', 'none'];

export const DEFAULT_POOL_SETTINGS: Readonly<Omit<PoolSettings, 'pythonPath'>> = {
  isolation: 'bwrap',
  // Off unless asked: a pool serving untrusted code should not reach the network by default.
  egress: false,
  egressAllow: [],
  maxSessions: 100,
  readySessions: 4,
  cooldownSeconds: 300,
  memoryMb: 1024,
  // Azure's documented hard cap per execution.
  maxExecutionSeconds: 220,
  diskMb: 512,
  maxProcesses: 128,
  outputLimitBytes: 1024 * 1024,
};

interface NumberSpec {
  key: string;
  env?: string;
  flag?: string;
  /** 0 allowed (e.g. no pre-warmed sessions). */
  allowZero?: boolean;
}

const NUMBER_SETTINGS: NumberSpec[] = [
  { key: 'maxSessions', env: 'TIDEPOOL_POOL_MAX_SESSIONS', flag: '--max-sessions' },
  { key: 'readySessions', env: 'TIDEPOOL_POOL_READY_SESSIONS', flag: '--ready-sessions', allowZero: true },
  { key: 'cooldownSeconds', env: 'TIDEPOOL_POOL_COOLDOWN_SECONDS', flag: '--cooldown-seconds' },
  { key: 'memoryMb', env: 'TIDEPOOL_POOL_MEMORY_MB', flag: '--memory-mb' },
  { key: 'maxExecutionSeconds', env: 'TIDEPOOL_POOL_MAX_EXECUTION_SECONDS', flag: '--max-execution-seconds' },
  { key: 'diskMb', env: 'TIDEPOOL_POOL_DISK_MB' },
  { key: 'maxProcesses' },
  { key: 'outputLimitBytes' },
];

/** Names a setting the way a user can fix it: the variable, the flag, and the library option. */
export function describeSetting(key: string, env?: string, flag?: string): string {
  return [env, flag, `option ${key}`].filter(Boolean).join(' / ');
}

function invalid(key: string, env: string | undefined, flag: string | undefined, message: string): PoolError {
  return new PoolError('invalid_input', `${describeSetting(key, env, flag)}: ${message}`);
}

function resolveNumber(spec: NumberSpec, option: unknown, env: Env, fallback = DEFAULT_POOL_SETTINGS[spec.key as keyof typeof DEFAULT_POOL_SETTINGS] as number): number {
  const raw = option ?? (spec.env ? env[spec.env]?.trim() || undefined : undefined);
  if (raw === undefined) return fallback;
  const value = typeof raw === 'number' ? raw : Number(raw);
  const smallest = spec.allowZero ? 0 : 1;
  if (!Number.isInteger(value) || value < smallest) {
    const kind = spec.allowZero ? 'a whole number of 0 or more' : 'a positive whole number';
    throw invalid(spec.key, spec.env, spec.flag, `must be ${kind}, got "${String(raw)}".`);
  }
  return value;
}

function resolveIsolation(option: unknown, env: Env): IsolationMode {
  const raw = option ?? (env.TIDEPOOL_POOL_ISOLATION?.trim() || undefined);
  if (raw === undefined) return DEFAULT_POOL_SETTINGS.isolation;
  const value = String(raw).toLowerCase();
  if (!(ISOLATION_MODES as readonly string[]).includes(value)) {
    throw invalid('isolation', 'TIDEPOOL_POOL_ISOLATION', '--isolation', `must be one of ${ISOLATION_MODES.join(', ')}, got "${String(raw)}".`);
  }
  return value as IsolationMode;
}

/** Parses on/off (and true/false, 1/0, yes/no) as used by --egress and TIDEPOOL_POOL_EGRESS. */
export function parseOnOff(raw: string): boolean | undefined {
  const value = raw.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(value)) return true;
  if (['off', 'false', '0', 'no'].includes(value)) return false;
  return undefined;
}

function resolveEgress(option: unknown, env: Env): boolean {
  if (typeof option === 'boolean') return option;
  const raw = option ?? (env.TIDEPOOL_POOL_EGRESS?.trim() || undefined);
  if (raw === undefined) return DEFAULT_POOL_SETTINGS.egress;
  const parsed = parseOnOff(String(raw));
  if (parsed === undefined) throw invalid('egress', 'TIDEPOOL_POOL_EGRESS', '--egress', `must be on or off, got "${String(raw)}".`);
  return parsed;
}

/**
 * Destinations sessions with egress may reach although they lie in a refused range (the host's
 * own addresses, private ranges): "IPv4:port" entries, e.g. a package mirror on the local network.
 */
function resolveEgressAllow(option: unknown, env: Env): string[] {
  const raw = option ?? (env.TIDEPOOL_POOL_EGRESS_ALLOW?.trim() || undefined);
  if (raw === undefined) return [];
  const entries = (Array.isArray(raw) ? raw.map(String) : String(raw).split(',')).map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(entry);
    const valid = match && match.slice(1, 5).every((part) => Number(part) <= 255) && Number(match[5]) >= 1 && Number(match[5]) <= 65535;
    if (!valid) throw invalid('egressAllow', 'TIDEPOOL_POOL_EGRESS_ALLOW', '--egress-allow', `must be IPv4:port entries separated by commas (e.g. 192.168.1.10:3128), got "${entry}".`);
    if (entry.startsWith('127.')) throw invalid('egressAllow', 'TIDEPOOL_POOL_EGRESS_ALLOW', '--egress-allow', `cannot name a loopback address ("${entry}"): inside a session that is the session itself. Bind the service to another address of this machine and allow that.`);
  }
  return entries;
}

/** The pool's runtime settings, each from its option, else its TIDEPOOL_POOL_* variable, else the default. */
export function resolvePoolSettings(options: Partial<PoolSettings> = {}, env: Env = process.env): PoolSettings {
  const settings = {
    ...DEFAULT_POOL_SETTINGS,
    isolation: resolveIsolation(options.isolation, env),
    egress: resolveEgress(options.egress, env),
    egressAllow: resolveEgressAllow(options.egressAllow, env),
    pythonPath: options.pythonPath?.trim() || env.TIDEPOOL_PYTHON?.trim() || DEFAULT_PYTHON_PATH,
  } as PoolSettings;
  for (const spec of NUMBER_SETTINGS) {
    (settings as unknown as Record<string, number>)[spec.key] = resolveNumber(spec, options[spec.key as keyof PoolSettings], env);
  }
  if (settings.readySessions > settings.maxSessions) {
    throw invalid('readySessions', 'TIDEPOOL_POOL_READY_SESSIONS', '--ready-sessions', `(${settings.readySessions}) cannot exceed maxSessions (${settings.maxSessions}); lower it or raise --max-sessions.`);
  }
  return settings;
}

export interface PoolListenSettings {
  host: string;
  port: number;
  apiKeys: string[];
  auditLogPath: string | undefined;
}

/** Host, port, bearer keys and audit file: option, else TIDEPOOL_POOL_HOST/PORT/API_KEYS/AUDIT_LOG, else defaults. */
export function resolveListenSettings(
  options: { host?: string; port?: number; apiKeys?: string[]; auditLogPath?: string },
  env: Env = process.env,
): PoolListenSettings {
  const host = options.host?.trim() || env.TIDEPOOL_POOL_HOST?.trim() || DEFAULT_POOL_HOST;
  const rawPort = options.port ?? (env.TIDEPOOL_POOL_PORT?.trim() || undefined);
  let port = DEFAULT_POOL_PORT;
  if (rawPort !== undefined) {
    port = typeof rawPort === 'number' ? rawPort : Number(rawPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw invalid('port', 'TIDEPOOL_POOL_PORT', '--port', `must be a whole number from 0 to 65535 (0 picks a free port), got "${String(rawPort)}".`);
    }
  }
  const keys = options.apiKeys ?? (env.TIDEPOOL_POOL_API_KEYS ?? '').split(',');
  const apiKeys = keys.map((key) => key.trim()).filter((key) => key.length > 0);
  const auditLogPath = options.auditLogPath?.trim() || env.TIDEPOOL_POOL_AUDIT_LOG?.trim() || undefined;
  return { host, port, apiKeys, auditLogPath };
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || bare === '::ffff:127.0.0.1';
}

/**
 * Limits of the pool's HTTP server and of the results it keeps. They protect the server itself:
 * a client (or code in a session) must not be able to exhaust its descriptors or its memory.
 */
export interface PoolServerLimits {
  /** Open connections from all clients together; one more is closed at once. Default 1024 (TIDEPOOL_POOL_MAX_CONNECTIONS). */
  maxConnections: number;
  /** Open connections from one client address (IPv6: one /64); one more is closed at once. Default 256 (TIDEPOOL_POOL_MAX_CONNECTIONS_PER_CLIENT). */
  maxConnectionsPerClient: number;
  /** Time a connection gets to send a request's complete headers, idle new connections included. Default 20000 (TIDEPOOL_POOL_HEADERS_TIMEOUT_MS). */
  headersTimeoutMs: number;
  /** Time a client gets to send a whole request, body included (not the time to answer it). Default 300000 (TIDEPOOL_POOL_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. Default 10000 (TIDEPOOL_POOL_KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs: number;
  /** Total size of the execution results kept for `GET executions/{id}`; the oldest are evicted first. Default 256 (TIDEPOOL_POOL_RESULT_STORE_MB). */
  resultStoreMb: number;
  /** Largest result of one execution (stdout, stderr and value together). Default 16 (TIDEPOOL_POOL_MAX_RESULT_MB). */
  maxResultMb: number;
}

export const DEFAULT_POOL_SERVER_LIMITS: Readonly<PoolServerLimits> = {
  // Far below any usual descriptor limit, far above what a busy client keeps open (32 sessions with
  // keep-alive is ~64); connections past it are closed before they cost more than the accept.
  maxConnections: 1024,
  // Room for a reverse proxy that opens one connection per request; one address still cannot take it all.
  maxConnectionsPerClient: 256,
  // Real clients send their headers in the first packet; idle connections must not pile up.
  headersTimeoutMs: 20_000,
  // A 128 MB upload at under 1 MB/s still fits.
  requestTimeoutMs: 300_000,
  // Longer than the 4 s keep-alive of fetch and most client pools, so the client closes first.
  keepAliveTimeoutMs: 10_000,
  resultStoreMb: 256,
  maxResultMb: 16,
};

const SERVER_LIMIT_SETTINGS: NumberSpec[] = [
  { key: 'maxConnections', env: 'TIDEPOOL_POOL_MAX_CONNECTIONS', flag: '--max-connections' },
  { key: 'maxConnectionsPerClient', env: 'TIDEPOOL_POOL_MAX_CONNECTIONS_PER_CLIENT', flag: '--max-connections-per-client' },
  { key: 'headersTimeoutMs', env: 'TIDEPOOL_POOL_HEADERS_TIMEOUT_MS' },
  { key: 'requestTimeoutMs', env: 'TIDEPOOL_POOL_REQUEST_TIMEOUT_MS' },
  { key: 'keepAliveTimeoutMs', env: 'TIDEPOOL_POOL_KEEP_ALIVE_TIMEOUT_MS' },
  { key: 'resultStoreMb', env: 'TIDEPOOL_POOL_RESULT_STORE_MB', flag: '--result-store-mb' },
  { key: 'maxResultMb', env: 'TIDEPOOL_POOL_MAX_RESULT_MB', flag: '--max-result-mb' },
];

/** The server's limits, each from its option, else its TIDEPOOL_POOL_* variable, else the default. */
export function resolveServerLimits(options: Partial<PoolServerLimits> = {}, env: Env = process.env): PoolServerLimits {
  const limits = { ...DEFAULT_POOL_SERVER_LIMITS };
  for (const spec of SERVER_LIMIT_SETTINGS) {
    const key = spec.key as keyof PoolServerLimits;
    limits[key] = resolveNumber(spec, options[key], env, DEFAULT_POOL_SERVER_LIMITS[key]);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw invalid('headersTimeoutMs', 'TIDEPOOL_POOL_HEADERS_TIMEOUT_MS', undefined, `(${limits.headersTimeoutMs}) cannot exceed requestTimeoutMs (${limits.requestTimeoutMs}); lower it or raise TIDEPOOL_POOL_REQUEST_TIMEOUT_MS.`);
  }
  if (limits.maxResultMb > limits.resultStoreMb) {
    throw invalid('maxResultMb', 'TIDEPOOL_POOL_MAX_RESULT_MB', '--max-result-mb', `(${limits.maxResultMb}) cannot exceed resultStoreMb (${limits.resultStoreMb}); lower it or raise --result-store-mb.`);
  }
  return limits;
}

/** What `pool serve` does on SIGTERM: stop at once, or drain first (finish running work, refuse new identifiers). */
export interface PoolDrainSettings {
  /** Drain on SIGTERM before stopping. Default false (TIDEPOOL_POOL_DRAIN_ON_SIGTERM, --drain-on-sigterm). */
  onSigterm: boolean;
  /** Longest drain; what still runs then ends with the pool. Default 230 (TIDEPOOL_POOL_DRAIN_TIMEOUT_SECONDS, --drain-timeout-seconds). */
  timeoutSeconds: number;
}

/** Azure's 220 s cap on one execution plus time to send its answer: a cell started just before SIGTERM still finishes. */
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 230;

/** Drain settings: option, else TIDEPOOL_POOL_DRAIN_ON_SIGTERM / TIDEPOOL_POOL_DRAIN_TIMEOUT_SECONDS, else defaults. */
export function resolveDrainSettings(options: { drainOnSigterm?: boolean; drainTimeoutSeconds?: number } = {}, env: Env = process.env): PoolDrainSettings {
  let onSigterm = options.drainOnSigterm;
  const raw = env.TIDEPOOL_POOL_DRAIN_ON_SIGTERM?.trim();
  if (onSigterm === undefined && raw) {
    onSigterm = parseOnOff(raw);
    if (onSigterm === undefined) throw invalid('drainOnSigterm', 'TIDEPOOL_POOL_DRAIN_ON_SIGTERM', '--drain-on-sigterm', `must be on or off, got "${raw}".`);
  }
  const timeoutSeconds = resolveNumber(
    { key: 'drainTimeoutSeconds', env: 'TIDEPOOL_POOL_DRAIN_TIMEOUT_SECONDS', flag: '--drain-timeout-seconds' },
    options.drainTimeoutSeconds,
    env,
    DEFAULT_DRAIN_TIMEOUT_SECONDS,
  );
  return { onSigterm: onSigterm ?? false, timeoutSeconds };
}

export interface PoolServerSettings {
  listen: PoolListenSettings;
  pool: PoolSettings;
  limits: PoolServerLimits;
  /** Authentication, TLS and API compatibility switches of the HTTP edge. */
  http: PoolHttpSettings;
}

/**
 * Everything `startPoolServer` needs, with the rules that span settings: without a way to
 * authenticate clients (API keys, a keys file or JWTs) the pool serves loopback only, and its
 * sessions get no egress — a session with network access could otherwise call the pool's own
 * unauthenticated API on loopback and use every other session.
 */
export function resolvePoolServerSettings(
  options: Partial<PoolSettings> & Partial<PoolServerLimits> & PoolHttpOptions & { host?: string; port?: number; apiKeys?: string[]; auditLogPath?: string } = {},
  env: Env = process.env,
): PoolServerSettings {
  const listen = resolveListenSettings(options, env);
  const pool = resolvePoolSettings(options, env);
  const limits = resolveServerLimits(options, env);
  const http = resolveHttpSettings(options, env);
  const authenticated = listen.apiKeys.length > 0 || http.auth.apiKeysFile !== undefined || http.auth.mode === 'jwt';
  if (!authenticated && !isLoopbackHost(listen.host)) {
    throw new PoolError(
      'invalid_input',
      `Refusing to serve on ${listen.host} without an API key: anyone who can reach it could run code. Pass --api-key KEY (or set TIDEPOOL_POOL_API_KEYS), --api-keys-file FILE or --auth jwt, or bind 127.0.0.1 with --host 127.0.0.1.`,
    );
  }
  if (!authenticated && pool.egress) {
    throw new PoolError(
      'invalid_input',
      "Refusing to give sessions network egress on a pool without an API key: code in a session could call this pool's API on loopback and use every other session (keys may also come from --api-keys-file, or tokens from --auth jwt). Set --api-key/TIDEPOOL_POOL_API_KEYS, or --egress off.",
    );
  }
  return { listen, pool, limits, http };
}
