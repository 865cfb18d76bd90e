/**
 * Conversations of the calling browser: list, create, open, delete, and the images their tools
 * produced. An id that is unknown or someone else's is a plain 404.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { ConversationSummary } from '../../agent/conversation-store.js';
import type { WebDeps, WebEnv } from '../deps.js';
import { httpError } from '../http-errors.js';
import { isUuid } from '../owner.js';
import { availableAgent } from './available-agent.js';

const createBody = z.object({ agentId: z.string().min(1).max(100) });

export function conversationRoutes(deps: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/api/conversations', (c) => c.json({ conversations: deps.store.list(c.get('ownerId')) }));

  app.post('/api/conversations', async (c) => {
    const body = createBody.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) throw httpError(400, 'Send JSON such as {"agentId": "travel-pool"}.');
    const agent = availableAgent(deps, body.data.agentId);
    return c.json({ conversation: deps.store.create(c.get('ownerId'), agent.id) }, 201);
  });

  app.get('/api/conversations/:id', (c) => {
    const conversation = ownConversation(deps, c.get('ownerId'), c.req.param('id'));
    return c.json({ conversation, messages: deps.store.messages(conversation.id) });
  });

  app.delete('/api/conversations/:id', async (c) => {
    const conversation = ownConversation(deps, c.get('ownerId'), c.req.param('id'));
    if (deps.busy.has(conversation.id)) throw httpError(409, 'This conversation is still answering; wait for it to finish, then delete it.', 'busy');
    deps.store.delete(c.get('ownerId'), conversation.id);
    // The conversation's sandbox session goes with it (variables and files).
    await deps.agents.get(conversation.agentId).sandbox?.session(conversation.id).close().catch(() => undefined);
    return c.body(null, 204);
  });

  app.get('/api/conversations/:id/images/:imageId', (c) => {
    const conversation = ownConversation(deps, c.get('ownerId'), c.req.param('id'));
    const image = deps.store.image(conversation.id, c.req.param('imageId'));
    if (!image) throw httpError(404, 'No such image in this conversation.', 'not_found');
    return c.body(new Uint8Array(image.data), 200, {
      'content-type': image.mediaType,
      'cache-control': 'private, max-age=86400',
      'content-disposition': `inline; filename="${image.fileName.replace(/[^\w.-]/g, '_')}"`,
    });
  });

  return app;
}

export function ownConversation(deps: WebDeps, ownerId: string, id: string): ConversationSummary {
  const conversation = isUuid(id) ? deps.store.get(ownerId, id) : undefined;
  if (!conversation) throw httpError(404, 'No such conversation. It may have been deleted; start a new one.', 'not_found');
  return conversation;
}
