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
import { TravelAgents, type TravelAgentsOptions } from '../agent/travel-agents.js';
import type { Env } from '../config/settings.js';
import type { SandboxType } from '../sandbox/types.js';
import type { WeatherToolOptions } from '../tools/index.js';
import { createWebApp } from './app.js';
import type { WebDeps } from './deps.js';

export const DEFAULT_WEB_PORT = 8080;
export const DEFAULT_WEB_HOST = '127.0.0.1';

export interface WebServerOptions {
  /** Default TIDEPOOL_WEB_HOST, else 127.0.0.1. */
  host?: string;
  /** Default TIDEPOOL_WEB_PORT, else 8080; 0 picks a free port. */
  port?: number;
  /** SQLite file; default TIDEPOOL_DB_PATH, else tidepool/tidepool.db in the OS data directory. */
  dbPath?: string;
  env?: Env;
  /** Tests may inject a model; default from the environment (see agent/model-config). */
  model?: LanguageModel;
  agents?: TravelAgentsOptions;
  /** Weather tool options (Open-Meteo URLs, a fixed "today"); default read from `env`. */
  weather?: WeatherToolOptions;
  logger?: pino.Logger;
}

export interface RunningWebServer {
  url: string;
  port: number;
  host: string;
  dbPath: string;
  modelSetup: ModelSetup;
  agents: TravelAgents;
  close(): Promise<void>;
}

/**
 * The UI has no login: on loopback only this machine's users reach it. Bound to another address,
 * anyone who can reach the port could run code through the Local agent on this host unsandboxed,
 * so Local is switched off there (the pool and the cloud backends isolate their sessions).
 */
function remoteRestrictions(host: string): Partial<Record<SandboxType, string>> {
  if (isLoopback(host)) return {};
  return { Local: `Local runs code on this machine without isolation, so it is off while serving on ${host}; serve on 127.0.0.1 to use it.` };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startWebServer(options: WebServerOptions = {}): Promise<RunningWebServer> {
  const env = options.env ?? process.env;
  const host = options.host ?? env.TIDEPOOL_WEB_HOST?.trim() ?? DEFAULT_WEB_HOST;
  const port = options.port ?? (env.TIDEPOOL_WEB_PORT?.trim() ? Number(env.TIDEPOOL_WEB_PORT) : DEFAULT_WEB_PORT);
  const logger = options.logger ?? pino({ level: env.TIDEPOOL_LOG_LEVEL?.trim() || 'warn', base: { component: 'web' } });
  const dbPath = resolveDbPath(options.dbPath, env);
  const modelSetup = resolveModelSetup(env);
  const model = options.model ?? (modelSetup.configured ? createLanguageModel(modelSetup.config) : undefined);
  const store = new ConversationStore(dbPath);
  const agents = new TravelAgents({ env, ...options.agents, disabled: { ...remoteRestrictions(host), ...options.agents?.disabled } });
  const deps: WebDeps = { store, agents, modelSetup, model, logger, busy: new Set(), weather: { env, ...options.weather } };
  const app = createWebApp(deps);

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(started));
    started.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
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
