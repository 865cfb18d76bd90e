/** What every route needs, built once by the server and injected (tests build their own). */
import type { LanguageModel } from 'ai';
import type pino from 'pino';
import type { ConversationStore } from '../agent/conversation-store.js';
import type { ModelSetup } from '../agent/model-config.js';
import type { SessionContinuity } from '../agent/session-continuity.js';
import type { TravelAgents } from '../agent/travel-agents.js';
import type { WeatherToolOptions } from '../tools/index.js';
import type { WebAccess } from './access.js';

export interface WebDeps {
  store: ConversationStore;
  agents: TravelAgents;
  modelSetup: ModelSetup;
  /** Present exactly when `modelSetup.configured`. */
  model?: LanguageModel;
  logger: pino.Logger;
  /** Conversations with a turn in progress (one at a time each), and how to stop it. */
  busy: Map<string, AbortController>;
  /** Notices sessions the backend replaced between turns. */
  continuity: SessionContinuity;
  /** How long the model may stay silent before a turn is stopped. */
  modelTimeoutMs: number;
  /** Passed to the weather tools (Open-Meteo URLs come from the server's environment). */
  weather: WeatherToolOptions;
  /** The token every request must carry, and the host names it must be addressed to. */
  access: WebAccess;
}

/** Hono variables set by middleware. */
export interface WebEnv {
  Variables: { ownerId: string };
}
