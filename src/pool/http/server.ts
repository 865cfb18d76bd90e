/**
 * Starts the pool: resolves settings, opens what authentication and TLS need, boots the runtime,
 * listens (HTTP, or HTTPS with --tls-cert/--tls-key or --tls self-signed), and shuts everything
 * down on close() (stop accepting, stop background executions, end every kernel, close the audit
 * log). drain() first lets running work finish while new identifiers are refused (rolling restarts).
 * The HTTP edge is bounded: header, request and keep-alive timeouts, and caps on connections in
 * total and per client (see PoolServerLimits).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createAdaptorServer } from '@hono/node-server';
import { pino, type Logger } from 'pino';
import { isLoopback } from '../../config/network.js';
import { ConfigurationError } from '../../errors.js';
import { createSessionManager } from '../runtime/index.js';
import { resolvePoolServerSettings, type Env, type PoolServerLimits } from '../settings.js';
import type { PoolSettings, SessionManager } from '../types.js';
import { createPoolApp } from './app.js';
import { AuditLog } from './audit-log.js';
import { CodeBudget } from './code-budget.js';
import { createAuthenticator } from './auth.js';
import { limitConnections, type ConnectionRejection } from './connection-limits.js';
import { NodeDrain, type DrainOutcome } from './drain.js';
import { ExecutionStore } from './execution-store.js';
import { exchangeInProcess, type InProcessRequestInit, type InProcessResponse } from './in-process.js';
import type { PoolHttpOptions } from './http-settings.js';
import { PoolMetrics } from './metrics.js';
import { loadServerTls, trustHint, type ServerTls } from './tls.js';

export interface PoolServerOptions extends Partial<PoolSettings>, Partial<PoolServerLimits>, PoolHttpOptions {
  /** Default 127.0.0.1 (TIDEPOOL_POOL_HOST). */
  host?: string;
  /** Default 8787 (TIDEPOOL_POOL_PORT); 0 picks a free port. */
  port?: number;
  /**
   * Bearer keys (TIDEPOOL_POOL_API_KEYS, comma-separated). None configured → only loopback binds
   * are allowed, and egress must be off.
   */
  apiKeys?: string[];
  /** JSON-lines audit log (TIDEPOOL_POOL_AUDIT_LOG); omitted → no audit file. */
  auditLogPath?: string;
  /** Also record executed code in the audit log. Default false. */
  auditIncludeContent?: boolean;
  /** Tests may inject a runtime; default createSessionManager(resolved settings). */
  sessionManager?: SessionManager;
  logger?: Logger;
  /** Where TIDEPOOL_POOL_* settings are read from; default process.env. */
  env?: Env;
}

const MIB = 1024 * 1024;
/** How often Node looks for connections past their header or request timeout. */
const CONNECTIONS_CHECK_INTERVAL_MS = 1000;
/** At most one log line per kind of refused connection in this period, however many there are. */
const REJECTION_LOG_INTERVAL_MS = 10_000;

export interface RunningPoolServer {
  /** The management endpoint root, e.g. http://127.0.0.1:8787 (also served under /subscriptions/{s}/resourceGroups/{g}/sessionPools/{p}). */
  url: string;
  port: number;
  /** Set when the pool serves HTTPS: the certificate clients should trust and its fingerprint. */
  tls?: { certificateFile: string; fingerprint256: string; selfSigned: boolean };
  settings: PoolSettings;
  limits: PoolServerLimits;
  sessionManager: SessionManager;
  /**
   * Takes no new identifiers from now on (503 + Retry-After; /readyz answers 503) and resolves once
   * no request or background execution is running, or after `timeoutMs`. Call close() afterwards.
   */
  drain(timeoutMs: number): Promise<DrainOutcome>;
  /** The pool's HTTP app as a fetch handler: in-process callers reach it with no socket in between. */
  fetch(request: Request): Promise<Response>;
  /**
   * One request to the app from this process, with a whole (non-streamed) body: what `fetch` does,
   * without building a platform Request and Response around it (see in-process.ts).
   */
  exchange(url: string, request: InProcessRequestInit): Promise<InProcessResponse>;
  /** Stops listening and ends every kernel. */
  close(): Promise<void>;
}

export async function startPoolServer(options: PoolServerOptions = {}): Promise<RunningPoolServer> {
  const env = options.env ?? process.env;
  const { listen, pool: settings, limits, http } = resolvePoolServerSettings(options, env);
  const logger = options.logger ?? pino({ name: 'tidepool-pool', level: env.TIDEPOOL_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  // Keys files, JWKS files and certificates are read before any kernel starts: a bad one stops here.
  const authenticator = await createAuthenticator({ apiKeys: listen.apiKeys, auth: http.auth, logger });
  const tls = await loadServerTls(http.tls, listen.host);
  const sessionManager = options.sessionManager ?? createSessionManager(settings, { logger });
  let audit: AuditLog | undefined;
  try {
    audit = listen.auditLogPath ? await AuditLog.open(listen.auditLogPath) : undefined;
  } catch (error) {
    await tls?.cleanup();
    throw error;
  }
  const executions = new ExecutionStore({ maxBytes: limits.resultStoreMb * MIB });
  const metrics = new PoolMetrics(sessionManager, executions);
  const drain = new NodeDrain(() => executions.runningCount);
  const app = createPoolApp({
    sessionManager,
    settings,
    apiKeys: listen.apiKeys,
    authenticator,
    legacyApi: http.api.legacyApi,
    executionResult: http.api.executionResult,
    logger,
    metrics,
    executions,
    audit,
    auditIncludeContent: options.auditIncludeContent ?? false,
    maxResultBytes: limits.maxResultMb * MIB,
    codeBudget: new CodeBudget(limits.pendingCodeMb * MIB),
    startedAt: new Date(),
    drain,
  });

  const cleanup = async () => {
    executions.abortAll();
    await sessionManager.close();
    await audit?.close();
    await tls?.cleanup();
  };
  try {
    await sessionManager.start();
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }

  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(CONNECTIONS_CHECK_INTERVAL_MS, limits.headersTimeoutMs),
  };
  const server = (
    tls
      ? createAdaptorServer({
          fetch: app.fetch,
          hostname: listen.host,
          createServer: createHttpsServer,
          // A connection that never finishes its handshake is dropped as soon as one that never sends headers.
          serverOptions: { ...serverOptions, key: tls.key, cert: tls.cert, handshakeTimeout: limits.headersTimeoutMs },
        })
      : createAdaptorServer({ fetch: app.fetch, hostname: listen.host, serverOptions })
  ) as Server;
  limitConnections(server, limits, rejectionReporter(metrics, logger, limits));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await cleanup().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ConfigurationError(`Port ${listen.port} on ${listen.host} is already in use; pass another --port (or 0 for a free one).`, { cause: error });
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `${tls ? 'https' : 'http'}://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`;
  logger.info(
    { url, isolation: settings.isolation, egress: settings.egress, maxSessions: settings.maxSessions, auth: authenticator.required ? http.auth.mode : 'none', legacyApi: http.api.legacyApi },
    'pool listening',
  );
  reportTransport(logger, tls, listen.host);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    ...(tls && { tls: { certificateFile: tls.certificateFile, fingerprint256: tls.fingerprint256, selfSigned: tls.selfSigned } }),
    settings,
    limits,
    sessionManager,
    drain: async (timeoutMs) => {
      logger.info({ inFlight: drain.inFlight, timeoutMs }, 'pool draining: new identifiers are refused until it stops');
      const outcome = await drain.drain(timeoutMs);
      if (outcome.finished) logger.info('pool drained: nothing left running');
      else logger.warn({ unfinished: outcome.unfinished }, 'pool drain bound reached with work still running; it ends with the pool');
      return outcome;
    },
    fetch: async (request) => app.fetch(request),
    exchange: (url, request) => exchangeInProcess(app.fetch, url, request),
    close: () => {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        // Idle keep-alive sockets would hold close() open; in-flight requests end when their kernel does.
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        await cleanup();
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        await stopped;
        logger.info('pool stopped');
      })();
      return closing;
    },
  };
}

/** Says what clients need to trust the certificate, or that keys and tokens cross the network in clear text. */
function reportTransport(logger: Logger, tls: ServerTls | undefined, host: string): void {
  if (tls) {
    const kind = tls.selfSigned ? `self-signed certificate for ${host}` : `certificate ${tls.certificateFile}`;
    logger.info({ certificateFile: tls.certificateFile }, `serving HTTPS with a ${kind}, SHA-256 fingerprint ${tls.fingerprint256}`);
    if (tls.selfSigned) logger.info(trustHint(tls));
  } else if (!isLoopback(host)) {
    logger.warn({ host }, 'serving plain HTTP beyond loopback: API keys and tokens cross the network in clear text; use --tls-cert/--tls-key, --tls self-signed, or a TLS-terminating proxy');
  }
}

/** Counts every refused connection and logs a summary now and then, so a flood cannot flood the log. */
function rejectionReporter(metrics: PoolMetrics, logger: Logger, limits: PoolServerLimits): (reason: ConnectionRejection, address: string) => void {
  const lastLogged = new Map<ConnectionRejection, number>();
  const suppressed = new Map<ConnectionRejection, number>();
  return (reason, address) => {
    metrics.connectionRejected(reason);
    const now = Date.now();
    if (now - (lastLogged.get(reason) ?? -Infinity) < REJECTION_LOG_INTERVAL_MS) {
      suppressed.set(reason, (suppressed.get(reason) ?? 0) + 1);
      return;
    }
    const cap = reason === 'total' ? `--max-connections (${limits.maxConnections})` : `--max-connections-per-client (${limits.maxConnectionsPerClient})`;
    logger.warn({ reason, address, alsoRefusedSinceLastLine: suppressed.get(reason) ?? 0 }, `connection refused: ${cap} reached`);
    lastLogged.set(reason, now);
    suppressed.set(reason, 0);
  };
}
