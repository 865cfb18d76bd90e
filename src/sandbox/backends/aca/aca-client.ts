/**
 * The one ACA dynamic-sessions client in the codebase: the `Sandbox-ACA` backend points it at
 * Azure, the `Sandbox-Pool` backend at an in-process Tidepool pool. It speaks either API
 * generation and hands back the contract's shapes.
 */
import type { Logger } from 'pino';
import { ConfigurationError, NotFoundError } from '../../../errors.js';
import { SHELL_TIMEOUT_EXIT_CODE } from '../../../kernel/shell-exit.js';
import { cellTimeoutError, shellExecutionResult, toCellResult, toImageResult } from '../../execution.js';
import type { ExecutionErrorInfo, ExecutionResult, FileInfo, Language } from '../../types.js';
import type { AcaApiVersion } from './api-versions.js';
import { createAzureCredential } from './credential.js';
import { poolMetadataShape } from './execution-shape.js';
import { validateIdentifier } from './identifier.js';
import { resolveAcaConnection, type AcaConnectionOptions, type ResolvedAcaConnection } from './settings.js';
import { CredentialTokenProvider, StaticTokenProvider, type TokenProvider } from './token-provider.js';
import { splitTraceback, unparsedFailure } from './traceback.js';
import { AcaTransport, type AcaHttpClient, type HttpExchange } from './transport.js';
import type { RetryBounds } from './retry-policy.js';
import { createGen1Wire } from './wire-gen1.js';
import { createGen2Wire } from './wire-gen2.js';
import { parseBody, type WireExecution, type WireProtocol, type WireShellExecution } from './wire.js';

/** Extra time an execute request gets beyond the cell's own timeout, for allocation and the round trip. */
export const DEFAULT_EXECUTION_GRACE_MS = 15_000;

export interface AcaClientOptions extends AcaConnectionOptions {
  /** Replaces the HTTP client (tests; the embedded pool's in-process handler); default undici on keep-alive agents. */
  fetch?: typeof fetch;
  /** Sends every request without a multipart body, instead of `fetch` (the embedded pool's in-process app). */
  exchange?: HttpExchange;
  /**
   * What sends the requests when `fetch` is not given: `undici` (default; keep-alive agents, cheapest
   * per request) or `node` (Node's built-in http/https, nothing to load: for short-lived processes).
   */
  httpClient?: AcaHttpClient;
  /** Retry limits (default 4 retries within 30 000 ms, backoff 250 ms doubling to 8 000 ms, with jitter). */
  retry?: Partial<RetryBounds>;
  /** Per-attempt limit for file and session requests (default 60 000). */
  requestTimeoutMs?: number;
  /** Added to an execution's timeoutMs to get its request limit (default 15 000). */
  executionGraceMs?: number;
  /** Refresh Azure tokens this long before they expire (default 300 000). */
  tokenRefreshAheadMs?: number;
  /** Receives retry and token-refresh records. */
  logger?: Logger;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export class AcaClient {
  readonly endpoint: string;
  readonly api: AcaApiVersion;
  /** Absent for a keyless loopback pool: requests then carry no Authorization header. */
  readonly #tokens: TokenProvider | undefined;
  readonly #wire: WireProtocol;
  readonly #transport: AcaTransport;
  readonly #executionGraceMs: number;
  #containerType: Promise<string> | undefined;

  /** Resolves settings (throws ConfigurationError when the endpoint is missing); sends nothing. */
  constructor(options: AcaClientOptions = {}) {
    const connection = resolveAcaConnection(options);
    this.endpoint = connection.endpoint;
    this.api = connection.api;
    this.#tokens = tokenProviderFor(connection, options.tokenRefreshAheadMs);
    const transport = new AcaTransport({
      endpoint: connection.endpoint,
      apiVersion: connection.api.version,
      tokens: this.#tokens,
      auth: connection.auth,
      fetch: options.fetch,
      exchange: options.exchange,
      httpClient: options.httpClient,
      retry: options.retry,
      requestTimeoutMs: options.requestTimeoutMs,
      logger: options.logger,
    });
    this.#transport = transport;
    this.#wire = connection.api.generation === 1 ? createGen1Wire(transport) : createGen2Wire(transport, connection.api);
    this.#executionGraceMs = options.executionGraceMs ?? DEFAULT_EXECUTION_GRACE_MS;
  }

  /** Throws InvalidInputError unless the service would accept `identifier`. */
  validateIdentifier(identifier: unknown): string {
    return validateIdentifier(identifier, this.api);
  }

  /** Gets (and caches) a token now, so the first request does not pay for sign-in. */
  async prepare(signal?: AbortSignal): Promise<void> {
    await this.#tokens?.getToken(signal);
  }

  async execute(identifier: string, code: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ExecutionResult> {
    const startedAt = performance.now();
    const wire = await this.#wire.execute({
      identifier: this.validateIdentifier(identifier),
      code,
      timeoutMs: options.timeoutMs,
      requestTimeoutMs: options.timeoutMs + this.#executionGraceMs,
      signal: options.signal,
    });
    return describeTimeout(toExecutionResult(wire, Math.round(performance.now() - startedAt)), options.timeoutMs);
  }

  /**
   * Runs a bash command on a Shell pool. The pool's session keeps its working directory and
   * environment; a non-zero exit is a `failure` with the code in `exitCode`.
   */
  async executeShell(identifier: string, command: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ExecutionResult> {
    if (!this.#wire.executeShell) {
      throw new ConfigurationError(
        `Shell executions need ACA API version 2025-02-02-preview or later (this client speaks ${this.api.version}); set ACA_API_VERSION (or pass apiVersion).`,
      );
    }
    const startedAt = performance.now();
    const wire = await this.#wire.executeShell({
      identifier: this.validateIdentifier(identifier),
      code: command,
      timeoutMs: options.timeoutMs,
      requestTimeoutMs: options.timeoutMs + this.#executionGraceMs,
      signal: options.signal,
    });
    return toShellResult(wire, Math.round(performance.now() - startedAt), options.timeoutMs);
  }

  /**
   * The pool's container type as `GET metadata` reports it (`PythonLTS`, `Shell`, `NodeLTS`…),
   * asked once; a failed request is asked again next time. A service without the route (404)
   * counts as `PythonLTS`, the service's default.
   */
  containerType(options: CallOptions = {}): Promise<string> {
    this.#containerType ??= this.#transport
      .send({ method: 'GET', path: 'metadata', safety: 'idempotent', operation: "read the pool's metadata", signal: options.signal })
      .then((response) => parseBody(response, poolMetadataShape, "read the pool's metadata").containerType)
      .catch((error: unknown) => {
        if (error instanceof NotFoundError) return 'PythonLTS';
        this.#containerType = undefined;
        throw error;
      });
    return this.#containerType;
  }

  /** The languages the pool runs: one, from its container type (none for a custom container). */
  async languages(options: CallOptions = {}): Promise<readonly Language[]> {
    const language = CONTAINER_LANGUAGES.get((await this.containerType(options)).toLowerCase());
    return language ? [language] : [];
  }

  async upload(identifier: string, name: string, data: Uint8Array, options: CallOptions = {}): Promise<FileInfo> {
    return this.#wire.upload({ identifier: this.validateIdentifier(identifier), name, data, signal: options.signal });
  }

  async list(identifier: string, options: CallOptions = {}): Promise<FileInfo[]> {
    return this.#wire.list({ identifier: this.validateIdentifier(identifier), signal: options.signal });
  }

  async download(identifier: string, name: string, options: CallOptions = {}): Promise<Uint8Array> {
    return this.#wire.download({ identifier: this.validateIdentifier(identifier), name, signal: options.signal });
  }

  async deleteFile(identifier: string, name: string, options: CallOptions = {}): Promise<void> {
    return this.#wire.deleteFile({ identifier: this.validateIdentifier(identifier), name, signal: options.signal });
  }

  /** True when this API version can end a session on demand (2025-02-02-preview and later). */
  get canDeleteSession(): boolean {
    return this.#wire.deleteSession !== undefined;
  }

  /** Ends the session and removes its files; a no-op for API versions without `DELETE session`. */
  async deleteSession(identifier: string, options: CallOptions = {}): Promise<void> {
    await this.#wire.deleteSession?.({ identifier: this.validateIdentifier(identifier), signal: options.signal });
  }
}

/**
 * The service reports its own execution limit in seconds; say it in the caller's terms, as the
 * other backends do. A TimeoutError the user's code raised itself (a socket timeout) is left alone.
 */
function describeTimeout(result: ExecutionResult, timeoutMs: number): ExecutionResult {
  const error = result.error;
  if (error?.type !== 'TimeoutError' || !/timeoutInSeconds|execution (time|timed out|exceeded)|exceeded .*time ?limit/i.test(error.message)) return result;
  // The service's notice is one line, now in the message; a real traceback (IPython's) stays.
  const traceback = /Traceback \(most recent call last\)/.test(error.traceback) ? error.traceback : '';
  return { ...result, error: cellTimeoutError(timeoutMs, `The service said: ${error.message}`, traceback) };
}

/** What each of the service's container types runs (compared lower-case). */
const CONTAINER_LANGUAGES = new Map<string, Language>([
  ['pythonlts', 'python'],
  ['nodelts', 'javascript'],
  ['shell', 'shell'],
]);

/** The service ends its TimeoutError notice on the last line of stderr; it becomes the result's error. */
const SHELL_TIMEOUT_LINE = /(?:^|\n)(TimeoutError: [^\n]*)\n?$/;

export function toShellResult(wire: WireShellExecution, measuredMs: number, timeoutMs: number): ExecutionResult {
  const timeout = wire.exitCode === SHELL_TIMEOUT_EXIT_CODE ? SHELL_TIMEOUT_LINE.exec(wire.stderr) : null;
  const stderr = timeout ? wire.stderr.slice(0, timeout.index + (timeout[0].startsWith('\n') ? 1 : 0)) : wire.stderr;
  return shellExecutionResult({
    exitCode: wire.exitCode,
    stdout: wire.stdout,
    stderr,
    durationMs: wire.executionTimeMs ?? measuredMs,
    error: timeout ? cellTimeoutError(timeoutMs, `The service said: ${timeout[1]!}`) : undefined,
  });
}

function tokenProviderFor(connection: ResolvedAcaConnection, refreshAheadMs: number | undefined): TokenProvider | undefined {
  if (connection.auth === 'none') return undefined;
  if (connection.accessToken !== undefined) return new StaticTokenProvider(connection.accessToken);
  const credential = connection.credential ?? (() => createAzureCredential(connection.managedIdentityClientId, connection.env));
  return new CredentialTokenProvider(credential, { refreshAheadMs });
}

/**
 * The contract's result from either generation. An empty-string value means "nothing to show"
 * on the wire (both generations), so it becomes `null`; an image value (a figure-valued cell)
 * joins `images` after the others the service sent, so each picture appears once. A code error
 * is a `failure` result, never a thrown error: the exception is parsed from the end of stderr,
 * where both generations put it, and stderr keeps only what the code wrote.
 */
export function toExecutionResult(wire: WireExecution, measuredMs: number): ExecutionResult {
  const image = toImageResult(wire.result);
  const execution: ExecutionResult = {
    status: wire.succeeded ? 'success' : 'failure',
    stdout: wire.stdout,
    stderr: wire.stderr,
    result: wire.result === '' ? null : toCellResult(wire.result),
    images: image ? [...wire.images, image] : wire.images,
    durationMs: wire.executionTimeMs ?? measuredMs,
  };
  if (!wire.succeeded) {
    const { error, stderr } = failureOf(wire);
    execution.error = error;
    execution.stderr = stderr;
  }
  return execution;
}

function failureOf(wire: WireExecution): { error: ExecutionErrorInfo; stderr: string } {
  const parsed = splitTraceback(wire.stderr);
  if (parsed) return { error: parsed.error, stderr: parsed.written };
  if (wire.serviceError) {
    // A pool states a service error (e.g. ExecutionResultTooLarge) as the last line of stderr too.
    const lines = wire.stderr.replace(/\n$/, '').split('\n');
    const last = lines.at(-1) ?? '';
    const stderr = last.endsWith(wire.serviceError) ? lines.slice(0, -1).map((line) => `${line}\n`).join('') : wire.stderr;
    return { error: { type: 'ExecutionFailed', message: wire.serviceError, traceback: '' }, stderr };
  }
  return { error: unparsedFailure(wire.status, wire.stderr), stderr: wire.stderr };
}
