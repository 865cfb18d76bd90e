/**
 * The pool's settings, through the package's one resolver (src/config/settings.ts): explicit
 * option, else TIDEPOOL_POOL_* environment variable, else the default. A bad value is a
 * ConfigurationError naming the variable, the CLI flag and the option.
 */
import path from 'node:path';
import { isLoopback } from '../config/network.js';
import { resolvePythonPath } from '../config/python.js';
import { choiceSetting, integerSetting, invalidSetting, listSetting, onOffSetting, textSetting, type Env, type SettingName } from '../config/settings.js';
import { ConfigurationError } from '../errors.js';
import { resolveHttpSettings, type PoolHttpOptions, type PoolHttpSettings } from './http/http-settings.js';
import type { IsolationMode, PoolContainerType, PoolSettings } from './types.js';

export type { Env };

export const DEFAULT_POOL_HOST = '127.0.0.1';
export const DEFAULT_POOL_PORT = 8787;
export const ISOLATION_MODES: readonly IsolationMode[] = ['bwrap', 'none'];
export const CONTAINER_TYPES: readonly PoolContainerType[] = ['python', 'node', 'shell'];

export const DEFAULT_POOL_SETTINGS: Readonly<Omit<PoolSettings, 'pythonPath'>> = {
  isolation: 'bwrap',
  containerType: 'python',
  // Off unless asked: a pool serving untrusted code should not reach the network by default.
  egress: false,
  egressAllow: [],
  maxSessions: 100,
  readySessions: 4,
  // About an idle session's memory each (pool.idle_session_pss_mb in npm run bench) while demand lasts.
  maxReadySessions: 16,
  cooldownSeconds: 300,
  memoryMb: 1024,
  // Azure's documented hard cap per execution.
  maxExecutionSeconds: 220,
  diskMb: 512,
  maxProcesses: 128,
  outputLimitBytes: 1024 * 1024,
};

interface NumberSpec extends SettingName {
  option: string;
  /** 0 allowed (e.g. no pre-warmed sessions). */
  allowZero?: boolean;
}

const NUMBER_SETTINGS: NumberSpec[] = [
  { option: 'maxSessions', env: 'TIDEPOOL_POOL_MAX_SESSIONS', flag: '--max-sessions' },
  { option: 'readySessions', env: 'TIDEPOOL_POOL_READY_SESSIONS', flag: '--ready-sessions', allowZero: true },
  { option: 'cooldownSeconds', env: 'TIDEPOOL_POOL_COOLDOWN_SECONDS', flag: '--cooldown-seconds' },
  { option: 'memoryMb', env: 'TIDEPOOL_POOL_MEMORY_MB', flag: '--memory-mb' },
  { option: 'maxExecutionSeconds', env: 'TIDEPOOL_POOL_MAX_EXECUTION_SECONDS', flag: '--max-execution-seconds' },
  { option: 'diskMb', env: 'TIDEPOOL_POOL_DISK_MB' },
  { option: 'maxProcesses' },
  { option: 'outputLimitBytes' },
];

/** The spec of one numeric setting, to name it in an error about how it relates to another. */
function specFor(specs: NumberSpec[], option: string): NumberSpec {
  return specs.find((spec) => spec.option === option)!;
}

const MAX_READY_SESSIONS: SettingName = { option: 'maxReadySessions', env: 'TIDEPOOL_POOL_MAX_READY_SESSIONS', flag: '--max-ready-sessions' };

const ISOLATION: SettingName = { option: 'isolation', env: 'TIDEPOOL_POOL_ISOLATION', flag: '--isolation' };
const CONTAINER_TYPE: SettingName = { option: 'containerType', env: 'TIDEPOOL_POOL_CONTAINER_TYPE', flag: '--container-type' };
const EGRESS: SettingName = { option: 'egress', env: 'TIDEPOOL_POOL_EGRESS', flag: '--egress' };
const EGRESS_ALLOW: SettingName = { option: 'egressAllow', env: 'TIDEPOOL_POOL_EGRESS_ALLOW', flag: '--egress-allow' };

/**
 * Destinations sessions with egress may reach although they lie in a refused range (the host's
 * own addresses, private ranges): "IPv4:port" entries, e.g. a package mirror on the local network.
 */
function resolveEgressAllow(option: string[] | string | undefined, env: Env): string[] {
  const entries = listSetting(EGRESS_ALLOW, typeof option === 'string' ? option.split(',') : option, env) ?? [];
  for (const entry of entries) {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(entry);
    const valid = match && match.slice(1, 5).every((part) => Number(part) <= 255) && Number(match[5]) >= 1 && Number(match[5]) <= 65535;
    if (!valid) throw invalidSetting(EGRESS_ALLOW, `must be IPv4:port entries separated by commas (e.g. 192.168.1.10:3128), got "${entry}".`);
    if (entry.startsWith('127.')) throw invalidSetting(EGRESS_ALLOW, `cannot name a loopback address ("${entry}"): inside a session that is the session itself. Bind the service to another address of this machine and allow that.`);
  }
  return entries;
}

function resolveSessionJournal(option: string | undefined, env: Env): string | undefined {
  const file = textSetting({ option: 'sessionJournal', env: 'TIDEPOOL_POOL_SESSION_JOURNAL', flag: '--session-journal' }, option, env);
  return file === undefined ? undefined : path.resolve(file);
}

/** The pool's runtime settings, each from its option, else its TIDEPOOL_POOL_* variable, else the default. */
export function resolvePoolSettings(options: Partial<PoolSettings> = {}, env: Env = process.env): PoolSettings {
  const settings = {
    ...DEFAULT_POOL_SETTINGS,
    isolation: choiceSetting(ISOLATION, options.isolation, env, ISOLATION_MODES) ?? DEFAULT_POOL_SETTINGS.isolation,
    containerType: choiceSetting(CONTAINER_TYPE, options.containerType, env, CONTAINER_TYPES) ?? DEFAULT_POOL_SETTINGS.containerType,
    egress: onOffSetting(EGRESS, options.egress, env, DEFAULT_POOL_SETTINGS.egress),
    egressAllow: resolveEgressAllow(options.egressAllow, env),
    pythonPath: resolvePythonPath(options.pythonPath, env),
    sessionJournal: resolveSessionJournal(options.sessionJournal, env),
  } as PoolSettings;
  for (const spec of NUMBER_SETTINGS) {
    const key = spec.option as keyof typeof DEFAULT_POOL_SETTINGS;
    (settings as unknown as Record<string, number>)[key] = integerSetting(spec, options[key] as number | undefined, env, {
      fallback: DEFAULT_POOL_SETTINGS[key] as number,
      min: spec.allowZero ? 0 : 1,
    });
  }
  if (settings.readySessions > settings.maxSessions) {
    throw invalidSetting(specFor(NUMBER_SETTINGS, 'readySessions'), `(${settings.readySessions}) cannot exceed maxSessions (${settings.maxSessions}); lower it or raise --max-sessions.`);
  }
  // Unset, it rises with readySessions, so raising only that never makes the two contradict.
  settings.maxReadySessions = integerSetting(MAX_READY_SESSIONS, options.maxReadySessions, env, {
    fallback: Math.max(DEFAULT_POOL_SETTINGS.maxReadySessions, settings.readySessions),
    min: 0,
  });
  if (settings.maxReadySessions < settings.readySessions) {
    throw invalidSetting(MAX_READY_SESSIONS, `(${settings.maxReadySessions}) cannot be below readySessions (${settings.readySessions}): the pool keeps readySessions ready at rest and up to this many under demand. Raise it or lower --ready-sessions.`);
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
  const host = textSetting({ option: 'host', env: 'TIDEPOOL_POOL_HOST', flag: '--host' }, options.host, env) ?? DEFAULT_POOL_HOST;
  const port = integerSetting({ option: 'port', env: 'TIDEPOOL_POOL_PORT', flag: '--port' }, options.port, env, {
    fallback: DEFAULT_POOL_PORT,
    min: 0,
    max: 65535,
    note: '(0 picks a free port)',
  });
  const apiKeys = listSetting({ option: 'apiKeys', env: 'TIDEPOOL_POOL_API_KEYS', flag: '--api-key' }, options.apiKeys, env) ?? [];
  const auditLogPath = textSetting({ option: 'auditLogPath', env: 'TIDEPOOL_POOL_AUDIT_LOG', flag: '--audit-log' }, options.auditLogPath, env);
  return { host, port, apiKeys, auditLogPath };
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
  /** Code (request bodies) of executions that wait or run, all sessions together; past it a new execution answers 429. Default 64 (TIDEPOOL_POOL_PENDING_CODE_MB). */
  pendingCodeMb: number;
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
  // Two of the largest bodies (32 MB) at once, or tens of thousands of ordinary cells. The server holds
  // each body about three times (bytes, string, frame), and parsing many large ones back to back
  // stalls its event loop: with room for eight, /healthz took up to 1.5 s under such a flood on 2 cores.
  pendingCodeMb: 64,
};

const SERVER_LIMIT_SETTINGS: NumberSpec[] = [
  { option: 'maxConnections', env: 'TIDEPOOL_POOL_MAX_CONNECTIONS', flag: '--max-connections' },
  { option: 'maxConnectionsPerClient', env: 'TIDEPOOL_POOL_MAX_CONNECTIONS_PER_CLIENT', flag: '--max-connections-per-client' },
  { option: 'headersTimeoutMs', env: 'TIDEPOOL_POOL_HEADERS_TIMEOUT_MS' },
  { option: 'requestTimeoutMs', env: 'TIDEPOOL_POOL_REQUEST_TIMEOUT_MS' },
  { option: 'keepAliveTimeoutMs', env: 'TIDEPOOL_POOL_KEEP_ALIVE_TIMEOUT_MS' },
  { option: 'resultStoreMb', env: 'TIDEPOOL_POOL_RESULT_STORE_MB', flag: '--result-store-mb' },
  { option: 'maxResultMb', env: 'TIDEPOOL_POOL_MAX_RESULT_MB', flag: '--max-result-mb' },
  { option: 'pendingCodeMb', env: 'TIDEPOOL_POOL_PENDING_CODE_MB', flag: '--pending-code-mb' },
];

/** The largest execution request body, which the code budget must always have room for. */
export const MAX_EXECUTION_BODY_MB = 32;

/** The server's limits, each from its option, else its TIDEPOOL_POOL_* variable, else the default. */
export function resolveServerLimits(options: Partial<PoolServerLimits> = {}, env: Env = process.env): PoolServerLimits {
  const limits = { ...DEFAULT_POOL_SERVER_LIMITS };
  for (const spec of SERVER_LIMIT_SETTINGS) {
    const key = spec.option as keyof PoolServerLimits;
    limits[key] = integerSetting(spec, options[key], env, { fallback: DEFAULT_POOL_SERVER_LIMITS[key] });
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw invalidSetting(specFor(SERVER_LIMIT_SETTINGS, 'headersTimeoutMs'), `(${limits.headersTimeoutMs}) cannot exceed requestTimeoutMs (${limits.requestTimeoutMs}); lower it or raise TIDEPOOL_POOL_REQUEST_TIMEOUT_MS.`);
  }
  if (limits.pendingCodeMb < MAX_EXECUTION_BODY_MB) {
    throw invalidSetting(specFor(SERVER_LIMIT_SETTINGS, 'pendingCodeMb'), `(${limits.pendingCodeMb}) must be at least ${MAX_EXECUTION_BODY_MB}, the largest execution body, or such a body could never run.`);
  }
  if (limits.maxResultMb > limits.resultStoreMb) {
    throw invalidSetting(specFor(SERVER_LIMIT_SETTINGS, 'maxResultMb'), `(${limits.maxResultMb}) cannot exceed resultStoreMb (${limits.resultStoreMb}); lower it or raise --result-store-mb.`);
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
  return {
    onSigterm: onOffSetting({ option: 'drainOnSigterm', env: 'TIDEPOOL_POOL_DRAIN_ON_SIGTERM', flag: '--drain-on-sigterm' }, options.drainOnSigterm, env, false),
    timeoutSeconds: integerSetting({ option: 'drainTimeoutSeconds', env: 'TIDEPOOL_POOL_DRAIN_TIMEOUT_SECONDS', flag: '--drain-timeout-seconds' }, options.drainTimeoutSeconds, env, {
      fallback: DEFAULT_DRAIN_TIMEOUT_SECONDS,
    }),
  };
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
  if (!authenticated && !isLoopback(listen.host)) {
    throw new ConfigurationError(
      `Refusing to serve on ${listen.host} without an API key: anyone who can reach it could run code. Pass --api-key KEY (or set TIDEPOOL_POOL_API_KEYS), --api-keys-file FILE or --auth jwt, or bind 127.0.0.1 with --host 127.0.0.1.`,
    );
  }
  if (!authenticated && pool.egress) {
    throw new ConfigurationError(
      "Refusing to give sessions network egress on a pool without an API key: code in a session could call this pool's API on loopback and use every other session (keys may also come from --api-keys-file, or tokens from --auth jwt). Set --api-key/TIDEPOOL_POOL_API_KEYS, or --egress off.",
    );
  }
  return { listen, pool, limits, http };
}
