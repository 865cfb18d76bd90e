/** GET /api/status: the model (or exactly what to set), and every agent with its availability. */
import { Hono } from 'hono';
import { MAX_MESSAGE_CHARS } from '../../agent/input-limits.js';
import type { WebDeps, WebEnv } from '../deps.js';

export function statusRoutes(deps: WebDeps): Hono<WebEnv> {
  return new Hono<WebEnv>().get('/api/status', (c) =>
    c.json({
      model: deps.modelSetup.configured
        ? { configured: true, label: deps.modelSetup.config.label }
        : { configured: false, reason: deps.modelSetup.reason },
      agents: deps.agents.list(),
      defaultAgentId: deps.agents.defaultAgentId(),
      // The page checks these before sending, so a refused message never leaves an empty conversation behind.
      limits: { messageChars: MAX_MESSAGE_CHARS },
    }),
  );
}
