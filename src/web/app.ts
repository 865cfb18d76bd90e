/** The web UI's HTTP app: pages, the JSON/SSE API the pages use, and the OpenAI-compatible /v1 API. */
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { accessGuard } from './access.js';
import type { WebDeps, WebEnv } from './deps.js';
import { errorStatus, renderError } from './http-errors.js';
import { logFailure } from './log-failure.js';
import { ownerCookie } from './owner.js';
import { chatRoutes } from './routes/chat.js';
import { conversationRoutes } from './routes/conversations.js';
import { fileRoutes } from './routes/files.js';
import { openAiRoutes, renderOpenAiError } from './routes/openai-compat.js';
import { statusRoutes } from './routes/status.js';
import { toolRoutes } from './routes/tools.js';
import { staticRoutes } from './static.js';

export function createWebApp(deps: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.use('*', async (c, next) => {
    await next();
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
  });
  // Before anything else: no route, not even a 404, answers a request without the token.
  app.use('*', accessGuard(deps.access));
  app.use('/', ownerCookie());
  app.use('/api/*', ownerCookie());
  app.route('/', staticRoutes());
  app.route('/', statusRoutes(deps));
  app.route('/', conversationRoutes(deps));
  app.route('/', chatRoutes(deps));
  app.route('/', fileRoutes(deps));
  app.route('/', toolRoutes(deps));
  app.route('/', openAiRoutes(deps));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No route ${c.req.method} ${c.req.path}.` } }, 404));
  app.onError((error, c) => {
    // Known refusals (HTTPException) are the person's to fix; only surprises go to the log.
    if (!(error instanceof HTTPException) && errorStatus(error).status >= 500) logFailure(deps.logger, 'request failed', error, { path: c.req.path });
    return c.req.path.startsWith('/v1/') ? renderOpenAiError(error, c) : renderError(error, c);
  });
  return app;
}
