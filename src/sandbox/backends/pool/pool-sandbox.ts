/**
 * `Sandbox-Pool`, the default backend: Tidepool's own session pool, started in this process on
 * first use and reached through the same ACA client as Azure (so that path runs on every test).
 * The client calls the pool's HTTP app directly (its fetch handler, no socket), so a library user
 * pays for no TCP round trip; it listens on loopback all the same, as every pool does.
 * Nothing to sign up for and works offline; the pool isolates each session (bwrap by default).
 * Each language runs in an embedded pool of its own (a Python, NodeLTS or Shell pool), started when a
 * session first runs it; a running pool (`server`) runs the one language of its container type.
 */
import { randomBytes } from 'node:crypto';
import type { Env } from '../../../config/settings.js';
import type { PoolContainerType, PoolServerOptions, RunningPoolServer } from '../../../pool/index.js';
import { SandboxError, SessionAllocationError } from '../../../errors.js';
import { DEFAULT_TIMEOUT_MS } from '../../execution.js';
import { LANGUAGES } from '../../languages.js';
import type { Language, SandboxOptions } from '../../types.js';
import { AcaClient, type AcaClientOptions } from '../aca/aca-client.js';
import { resolveApiVersion } from '../aca/api-versions.js';
import { RemoteSandbox } from '../aca/remote-sandbox.js';

export const POOL_BANNER = '🌊 [Tidepool Pool Sandbox]';

/** Gen-2 with `DELETE session`, so closing a session frees its kernel at once. */
export const POOL_API_VERSION = '2025-10-02-preview';

export type EmbeddedPoolOptions = Omit<PoolServerOptions, 'host' | 'port' | 'apiKeys'>;

export interface PoolSandboxOptions extends SandboxOptions {
  /**
   * Settings of the embedded pool (isolation, maxSessions, memoryMb…); unset ones come from
   * TIDEPOOL_POOL_*, except egress: it is ON here (the weather tools fetch data from inside the
   * session) unless `egress: false` is passed. TIDEPOOL_POOL_EGRESS only applies to `tidepool pool serve`.
   */
  pool?: EmbeddedPoolOptions;
  /** ACA API version the client speaks to the embedded pool (default 2025-10-02-preview). */
  apiVersion?: string;
  /** Client tuning: retries, timeouts, logger, and (for a `server`) what sends the requests. */
  client?: Pick<AcaClientOptions, 'retry' | 'requestTimeoutMs' | 'executionGraceMs' | 'logger' | 'httpClient'>;
  /** Where TIDEPOOL_POOL_* settings are read from; default process.env. */
  env?: Env;
  /** Injected by tests; default startPoolServer from src/pool. */
  startServer?: (options: PoolServerOptions) => Promise<RunningPoolServer>;
  /**
   * A Tidepool pool that is already running (e.g. `tidepool pool start`), used instead of starting
   * one in this process. Its sessions outlive this sandbox: closing it only deletes the sessions it
   * opened without an identifier. `containerType`, when known (the state file of `tidepool pool
   * start` records it), says which language it runs without asking its metadata.
   */
  server?: { url: string; apiKey: string; containerType?: PoolContainerType };
}

/**
 * The container type of the embedded pool that runs each language: every language gets a pool of
 * its own, started the first time a session runs it.
 */
const EMBEDDED_CONTAINER_TYPES: Record<Language, PoolContainerType> = { python: 'python', javascript: 'node', shell: 'shell' };

function languageOf(containerType: PoolContainerType): Language | undefined {
  return LANGUAGES.find((language) => EMBEDDED_CONTAINER_TYPES[language] === containerType);
}

export function createPoolSandbox(options: PoolSandboxOptions = {}): RemoteSandbox {
  const api = resolveApiVersion(options.apiVersion ?? POOL_API_VERSION);
  const env = options.env ?? process.env;
  if (options.server) {
    const { url, apiKey, containerType } = options.server;
    const known = containerType && languageOf(containerType);
    const client = new AcaClient({ ...options.client, poolManagementEndpoint: url, accessToken: apiKey, apiVersion: api.version, env: {} });
    return new RemoteSandbox(
      {
        type: 'Sandbox-Pool',
        banner: POOL_BANNER,
        api,
        defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
        languages: (signal) => (known ? Promise.resolve([known]) : client.languages({ signal })),
        connect: () => Promise.resolve(client),
        describe: () => `Sandbox-Pool (the running pool at ${url}; start one per language with \`tidepool pool serve --container-type\`)`,
      },
      options,
    );
  }

  // Loaded on first use: the pool's HTTP stack is not needed by anyone who picks another backend.
  const start = options.startServer ?? (async (serverOptions: PoolServerOptions) => (await import('../../../pool/index.js')).startPoolServer(serverOptions));
  const running = new Map<Language, Promise<{ server: RunningPoolServer; client: AcaClient }>>();

  const startEmbedded = async (containerType: PoolContainerType) => {
    // A fresh key per pool: the pool listens on loopback, and only this client knows the key.
    const apiKey = randomBytes(32).toString('base64url');
    // TIDEPOOL_POOL_EGRESS is `pool serve`'s setting (off there, and .env.example sets it so); the
    // embedded pool needs egress for the weather tools, so only the option turns it off here.
    const egress = options.pool?.egress ?? true;
    let server: RunningPoolServer;
    try {
      // Embedded, the pool's request log would interleave with the user's output: errors only, unless asked.
      const logger = options.pool?.logger ?? (await defaultPoolLogger(env));
      // Its own client speaks plain HTTP and reads typed results, whatever `pool serve`'s settings say.
      server = await start({ env, ...options.pool, containerType, logger, egress, host: '127.0.0.1', port: 0, apiKeys: [apiKey], tls: 'off', executionResult: 'typed' });
    } catch (error) {
      if (error instanceof SandboxError) throw error;
      throw new SessionAllocationError(
        `The embedded Tidepool pool did not start: ${(error as Error).message} Run \`tidepool doctor\` to check Python and isolation, or pick another sandbox with --sandbox.`,
        { cause: error },
      );
    }
    // JSON requests skip the platform Request and Response (in-process.ts); uploads use them.
    const inProcess = (input: string | URL | Request, init?: RequestInit) => server.fetch(new Request(input, init));
    const client = new AcaClient({
      ...options.client,
      poolManagementEndpoint: server.url,
      accessToken: apiKey,
      apiVersion: api.version,
      env: {},
      fetch: inProcess as typeof fetch,
      exchange: (url, request) => server.exchange(url, request),
    });
    return { server, client };
  };

  const connect = (language: Language): Promise<AcaClient> => {
    let pool = running.get(language);
    if (!pool) {
      pool = startEmbedded(EMBEDDED_CONTAINER_TYPES[language]);
      running.set(language, pool);
      // A failed start is not cached: the next session use tries again.
      pool.catch(() => running.delete(language));
    }
    return pool.then(({ client }) => client);
  };

  return new RemoteSandbox(
    {
      type: 'Sandbox-Pool',
      banner: POOL_BANNER,
      api,
      defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      languages: () => Promise.resolve(LANGUAGES),
      connect,
      describe: () => 'Sandbox-Pool',
      shutdown: async () => {
        const started = [...running.values()];
        running.clear();
        const pools = await Promise.all(started.map((pool) => pool.catch(() => undefined)));
        await Promise.all(pools.map((pool) => pool?.server.close()));
      },
    },
    options,
  );
}

/** pino is loaded only when an embedded pool starts. */
async function defaultPoolLogger(env: Env): Promise<NonNullable<PoolServerOptions['logger']>> {
  const { pino } = await import('pino');
  return pino({ name: 'tidepool-pool', level: env.TIDEPOOL_LOG_LEVEL ?? 'error' }, pino.destination(2));
}
