/**
 * Bearer tokens for the data plane. Azure tokens are cached and refreshed ahead of expiry,
 * and concurrent callers share one refresh, so a burst of executions costs one token request.
 */
import type { AccessToken, TokenCredential } from '@azure/identity';
import { AuthenticationError, SandboxError } from '../../../errors.js';
import { ACCESS_TOKEN_ENV } from './settings.js';

/** Audience of the dynamic-sessions data plane: tokens for any other audience are refused by the service. */
export const DYNAMIC_SESSIONS_SCOPE = 'https://dynamicsessions.io/.default';

/** Refresh this long before a token expires, so a request never leaves with a token about to die. */
export const DEFAULT_REFRESH_AHEAD_MS = 5 * 60_000;

export interface TokenProvider {
  /** A token valid right now. */
  getToken(signal?: AbortSignal): Promise<string>;
  /**
   * The service rejected `token` (401). Returns true when a new token may fix it; the next
   * `getToken` then fetches a fresh one (once, however many callers saw the same 401).
   */
  invalidate(token: string): boolean;
}

/** A fixed bearer token (a Tidepool pool's API key, or a token from `az account get-access-token`). */
export class StaticTokenProvider implements TokenProvider {
  constructor(private readonly token: string) {}

  getToken(): Promise<string> {
    return Promise.resolve(this.token);
  }

  invalidate(): boolean {
    return false;
  }
}

export interface CredentialTokenProviderOptions {
  scope?: string;
  refreshAheadMs?: number;
  /** Wall clock in ms since the epoch (tokens carry absolute expiry times). */
  now?: () => number;
}

export class CredentialTokenProvider implements TokenProvider {
  readonly #scope: string;
  readonly #refreshAheadMs: number;
  readonly #now: () => number;
  #cached: AccessToken | undefined;
  #refreshing: Promise<AccessToken> | undefined;

  /** `credential` may be a promise so the (large) Azure identity library loads only when a token is first needed. */
  constructor(
    private readonly credential: TokenCredential | (() => Promise<TokenCredential>),
    options: CredentialTokenProviderOptions = {},
  ) {
    this.#scope = options.scope ?? DYNAMIC_SESSIONS_SCOPE;
    this.#refreshAheadMs = options.refreshAheadMs ?? DEFAULT_REFRESH_AHEAD_MS;
    this.#now = options.now ?? Date.now;
  }

  async getToken(signal?: AbortSignal): Promise<string> {
    const cached = this.#cached;
    const now = this.#now();
    if (cached && now < this.#refreshAt(cached)) return cached.token;
    const refresh = this.#startRefresh();
    if (cached && now < cached.expiresOnTimestamp) {
      // Still valid: refresh in the background and keep going; a failed early refresh is retried next call.
      refresh.catch(() => undefined);
      return cached.token;
    }
    return (await abortable(refresh, signal)).token;
  }

  invalidate(token: string): boolean {
    if (this.#cached?.token === token) this.#cached = undefined;
    return true;
  }

  #refreshAt(token: AccessToken): number {
    const ahead = token.expiresOnTimestamp - this.#refreshAheadMs;
    return token.refreshAfterTimestamp === undefined ? ahead : Math.min(ahead, token.refreshAfterTimestamp);
  }

  #startRefresh(): Promise<AccessToken> {
    this.#refreshing ??= this.#fetch().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #fetch(): Promise<AccessToken> {
    let token: AccessToken | null;
    try {
      const credential = typeof this.credential === 'function' ? await this.credential() : this.credential;
      token = await credential.getToken(this.#scope);
    } catch (error) {
      if (error instanceof SandboxError) throw error;
      throw new AuthenticationError(describeCredentialFailure(error), { cause: error });
    }
    if (!token?.token) {
      throw new AuthenticationError(`The Azure credential returned no token for ${this.#scope}; run \`az login\` or check the managed identity (see docs/azure.md).`);
    }
    this.#cached = token;
    return token;
  }
}

/** What the user can do about a missing credential; the same two ways whatever the cause. */
const BOTH_WAYS =
  `  set ${ACCESS_TOKEN_ENV} to a bearer token (a Tidepool pool's API key, or \`az account get-access-token --resource https://dynamicsessions.io\`), or\n` +
  '  sign in for Azure identity: `az login`, a managed identity (AZURE_CLIENT_ID names a user-assigned one), or a service principal (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET). See docs/azure.md.';

/** Names of @azure/identity errors that mean "nobody is signed in here" rather than "sign-in failed". */
const NOT_SIGNED_IN = new Set(['CredentialUnavailableError', 'AuthenticationRequiredError']);

/**
 * At most three lines. DefaultAzureCredential reports one paragraph per credential it tried (a wall
 * of CredentialUnavailableError lines when none is set up); that stays on the error's `cause`.
 */
export function describeCredentialFailure(error: unknown): string {
  if (isNotSignedIn(error)) return `No credential for the ACA session pool. Either\n${BOTH_WAYS}`;
  const detail = firstLine(error instanceof Error ? error.message : String(error));
  return `Azure sign-in failed: ${detail}. Either\n${BOTH_WAYS}`;
}

function isNotSignedIn(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && NOT_SIGNED_IN.has(name)) return true;
  const inner = (error as { errors?: unknown } | null)?.errors;
  return name === 'AggregateAuthenticationError' && Array.isArray(inner) && inner.length > 0 && inner.every(isNotSignedIn);
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0]!.trim().replace(/\.$/, '');
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Lets one caller stop waiting for a shared refresh without cancelling it for the others. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
