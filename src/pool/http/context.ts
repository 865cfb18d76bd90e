/** What every route gets: the runtime, settings and observability, plus per-request variables. */
import { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { PoolSettings, SessionManager } from '../types.js';
import type { AuditLog } from './audit-log.js';
import type { NodeDrain } from './drain.js';
import type { Authenticator } from './auth.js';
import type { CodeBudget } from './code-budget.js';
import type { ExecutionStore } from './execution-store.js';
import type { ExecutionResultFormat } from './http-settings.js';
import { InProcessRequest } from './in-process.js';
import type { LegacyUsageLog } from './legacy-usage-log.js';
import { recordFacts } from './response-facts.js';
import type { PoolMetrics } from './metrics.js';

export interface PoolAppDeps {
  sessionManager: SessionManager;
  settings: PoolSettings;
  /** Bearer keys; empty = no authentication (only allowed on loopback binds). Ignored when `authenticator` is given. */
  apiKeys: string[];
  /** Who may call the API (keys, a keys file, JWTs); default: exactly `apiKeys`. */
  authenticator?: Authenticator;
  /** Serve the pre-2024 python/* routes, with a Deprecation header. Default true. */
  legacyApi?: boolean;
  /** Where use of the legacy routes is reported (one line per client now and then); default one per app. */
  legacyUsage?: LegacyUsageLog;
  /** `string` answers every gen-2 executionResult as text or null, for SK .NET. Default typed. */
  executionResult?: ExecutionResultFormat;
  logger: Logger;
  metrics: PoolMetrics;
  executions: ExecutionStore;
  audit?: AuditLog;
  auditIncludeContent?: boolean;
  /** Per-file upload limit; Azure's 128 MB unless a test lowers it. */
  maxUploadBytes?: number;
  /** Per-execution cap on stdout + stderr + value, in bytes; default 16 MiB (the pool's --max-result-mb). */
  maxResultBytes?: number;
  /** Memory for the code of executions that wait or run; default 64 MiB (the pool's --pending-code-mb). */
  codeBudget?: CodeBudget;
  startedAt: Date;
  /** Draining before a stop (refuses new identifiers, counts work in flight); omitted → the node never drains. */
  drain?: NodeDrain;
}

export interface PoolVariables {
  traceId: string;
  /** A short name of the operation for logs, metrics and the audit log. */
  operation: string;
  identifier?: string;
  /** Bytes received when the route counted them itself (multipart). */
  bytesIn?: number;
  /** Executed code, recorded in the audit log only with auditIncludeContent. */
  code?: string;
  /** The pool name from a /subscriptions/…/sessionPools/{name} URL, if the client used one. */
  poolName?: string;
  /** The /subscriptions/…/sessionPools/{name} prefix the client used ("" at the root). */
  prefix: string;
  /** Why authentication refused the request (expired, wrong_audience, …), for the log; never the token. */
  authFailure?: string;
}

export type PoolEnv = { Variables: PoolVariables };
export type PoolContext = Context<PoolEnv>;

/** JSON with an explicit Content-Length, so logs and the audit log can count bytes out. */
export function sendJson(c: PoolContext, status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body);
  const bytesOut = Buffer.byteLength(text);
  // Unset only when the app runs without the request log (tests of single routes).
  const traceId: string | undefined = c.get('traceId');
  const response = new Response(text, {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(bytesOut),
      ...(traceId !== undefined && { 'x-ms-request-id': traceId }),
      ...headers,
    },
  });
  if (traceId !== undefined) recordFacts(response, { bytesOut, text });
  return response;
}

export function sendEmpty(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers });
}

/** The URL a client should poll for an execution, on the same prefix the client used. */
export function executionUrl(c: PoolContext, id: string, identifier: string, apiVersion: string): string {
  const origin = originOf(c.req.url);
  const query = `api-version=${encodeURIComponent(apiVersion)}&identifier=${encodeURIComponent(identifier)}`;
  return `${origin}${c.get('prefix')}/executions/${encodeURIComponent(id)}?${query}`;
}

/**
 * `scheme://host[:port]` of a request URL. A Request's url is already serialised (host lowercased,
 * default port dropped) and never carries credentials, so this equals `new URL(url).origin`
 * without parsing the whole URL on every execution.
 */
function originOf(url: string): string {
  const authority = url.indexOf('://') + 3;
  const pathStart = url.indexOf('/', authority);
  return pathStart === -1 ? url : url.slice(0, pathStart);
}

/** A request's body as a route may read or refuse it. */
export interface BodySource {
  request: Request;
  /**
   * True when the body can be no longer than its declared Content-Length: it arrived on a socket
   * through @hono/node-server, whose HTTP parser ends a body there, or from an in-process caller
   * that handed it over whole. False for other `app.fetch()` callers, whose body is a stream of any length.
   */
  lengthEnforced: boolean;
  /** The Node request the body arrives on (through @hono/node-server); absent in process. */
  incoming?: IncomingMessage;
}

export function bodySource(c: PoolContext): BodySource {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  const onSocket = incoming instanceof IncomingMessage;
  return { request: c.req.raw, lengthEnforced: onSocket || c.req.raw instanceof InProcessRequest, ...(onSocket && { incoming }) };
}
