/**
 * `tidepool serve`: the web UI, one travel agent per backend, and the embedded pool (started by
 * the Sandbox-Pool backend on first use). Everything is built here and closed together.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { LanguageModel } from 'ai';
import { pino } from 'pino';
import { ConversationStore } from '../agent/conversation-store.js';
import { resolveDbPath } from '../agent/db-path.js';
import { createLanguageModel } from '../agent/language-model.js';
import { resolveModelSetup, type ModelSetup } from '../agent/model-config.js';
import { SessionContinuity } from '../agent/session-continuity.js';
import { resolveModelTimeoutMs } from '../agent/model-timeout.js';
import { TravelAgents, type TravelAgentsOptions } from '../agent/travel-agents.js';
import type { Env } from '../config/settings.js';
import { resolveWebListenSettings } from '../config/web-settings.js';
import type { WeatherToolOptions } from '../tools/index.js';
import { accessCookieName, allowedHostNames, resolveAccessToken } from './access.js';
import { backendsWithEgress, localRestriction, resolveAllowLocal } from './agent-policy.js';
import { createWebApp } from './app.js';
import type { WebDeps } from './deps.js';

export { DEFAULT_WEB_HOST, DEFAULT_WEB_PORT } from '../config/web-settings.js';

export interface WebServerOptions {
  /** Default TIDEPOOL_WEB_HOST, else 127.0.0.1; empty is refused (it would mean every interface). */
  host?: string;
  /** Default TIDEPOOL_WEB_PORT, else 8080; 0 picks a free port. */
  port?: number;
  /** SQLite file; default TIDEPOOL_DB_PATH, else tidepool/tidepool.db in the OS data directory. */
  dbPath?: string;
  /**
   * The access token every request must carry (cookie or `Authorization: Bearer`); default
   * TIDEPOOL_WEB_TOKEN, else a random one for this start. At least 16 URL-safe characters.
   */
  token?: string;
  /**
   * Offer the Local agent even though other backends' sessions have network egress (the embedded
   * pool has). Default TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL, else false. Never on a non-loopback host.
   */
  allowUnsandboxedLocal?: boolean;
  env?: Env;
  /** Tests may inject a model; default from the environment (see agent/model-config). */
  model?: LanguageModel;
  agents?: TravelAgentsOptions;
  /** Weather tool options (Open-Meteo URLs, a fixed "today"); default read from `env`. */
  weather?: WeatherToolOptions;
  logger?: pino.Logger;
  /** How long the model may stay silent before a turn is stopped; default TIDEPOOL_MODEL_TIMEOUT_MS, else 180000. */
  modelTimeoutMs?: number;
}

export interface RunningWebServer {
  /** Base URL, e.g. http://127.0.0.1:8080 (every route but /login needs the token). */
  url: string;
  /** The URL to open in a browser: `url` + `/?token=…`; it trades the token for a cookie. */
  loginUrl: string;
  /** The access token of this start (see WebServerOptions.token). */
  token: string;
  port: number;
  host: string;
  dbPath: string;
  modelSetup: ModelSetup;
  agents: TravelAgents;
  close(): Promise<void>;
}

export async function startWebServer(options: WebServerOptions = {}): Promise<RunningWebServer> {
  const env = options.env ?? process.env;
  const { host, port } = resolveWebListenSettings({ host: options.host, port: options.port }, env);
  const logger = options.logger ?? pino({ level: env.TIDEPOOL_LOG_LEVEL?.trim() || 'warn', base: { component: 'web' } });
  const dbPath = resolveDbPath(options.dbPath, env);
  const modelSetup = resolveModelSetup(env);
  const model = options.model ?? (modelSetup.configured ? createLanguageModel(modelSetup.config) : undefined);
  const token = resolveAccessToken(options.token, env);
  const localOff = localRestriction({
    host,
    allowUnsandboxedLocal: resolveAllowLocal(options.allowUnsandboxedLocal, env),
    egressBackends: backendsWithEgress(options.agents?.env ?? env, options.agents),
  });
  const store = new ConversationStore(dbPath);
  const agents = new TravelAgents({ env, ...options.agents, disabled: { ...(localOff ? { Local: localOff } : {}), ...options.agents?.disabled } });
  const deps: Omit<WebDeps, 'access'> = { store, agents, modelSetup, model, logger, busy: new Map(), continuity: new SessionContinuity(), modelTimeoutMs: resolveModelTimeoutMs(options.modelTimeoutMs, env), weather: { env, ...options.weather } };

  // The app needs the port (its cookie is named after it), known only once listening; until
  // then nothing is served.
  let handle: (request: Request, bindings: unknown) => Response | Promise<Response> = () => new Response('Starting', { status: 503 });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch: (request, bindings) => handle(request, bindings), hostname: host, port }, () => resolve(started));
    started.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const app = createWebApp({ ...deps, access: { token, cookieName: accessCookieName(address.port), allowedHosts: allowedHostNames(host) } });
  handle = (request, bindings) => app.fetch(request, bindings);
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;
  return {
    url,
    loginUrl: `${url}/?token=${encodeURIComponent(token)}`,
    token,
    port: address.port,
    host,
    dbPath,
    modelSetup,
    agents,
    close: async () => {
      await new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      });
      await agents.close();
      store.close();
    },
  };
}
