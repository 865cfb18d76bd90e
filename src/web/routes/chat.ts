/**
 * POST /api/conversations/:id/messages: one turn, streamed as server-sent events
 * (`text-delta`, `tool-start`, `tool-lifecycle`, `tool-end`, `error`, then `done` with the stored message).
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { runTurn } from '../../agent/run-turn.js';
import type { AgentEvent, DisplayMessage } from '../../agent/types.js';
import type { WebDeps, WebEnv } from '../deps.js';
import { httpError } from '../http-errors.js';
import { availableAgent } from './available-agent.js';
import { ownConversation } from './conversations.js';

/** What the browser receives: the turn's events, framed by the stored user and assistant messages. */
type WireEvent = AgentEvent | { type: 'accepted'; userMessage: DisplayMessage } | { type: 'done'; message?: DisplayMessage };

const messageBody = z.object({ text: z.string().trim().min(1).max(20_000) });
const TITLE_LENGTH = 60;

export function chatRoutes(deps: WebDeps): Hono<WebEnv> {
  return new Hono<WebEnv>().post('/api/conversations/:id/messages', async (c) => {
    const conversation = ownConversation(deps, c.get('ownerId'), c.req.param('id'));
    const body = messageBody.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) throw httpError(400, 'Send JSON such as {"text": "What is the weather in Lisbon in May?"}.');
    if (!deps.modelSetup.configured || !deps.model) throw httpError(503, deps.modelSetup.configured ? 'No model.' : deps.modelSetup.reason, 'model_not_configured');
    const agent = availableAgent(deps, conversation.agentId);
    if (deps.busy.has(conversation.id)) throw httpError(409, 'This conversation is already answering; wait for the reply to finish.', 'busy');

    const model = deps.model;
    const sandbox = agent.sandbox;
    const text = body.data.text;
    const history = deps.store.modelHistory(conversation.id);
    const userMessage = deps.store.addMessage(conversation.id, 'user', [{ type: 'text', text }], []);
    if (history.length === 0) deps.store.rename(conversation.id, text.length > TITLE_LENGTH ? `${text.slice(0, TITLE_LENGTH - 1)}…` : text);
    deps.busy.add(conversation.id);

    return streamSSE(c, async (stream) => {
      const controller = new AbortController();
      stream.onAbort(() => controller.abort());
      // Events are written in order; a slow browser must not reorder or drop them.
      let writing = Promise.resolve();
      const emit = (event: WireEvent) => {
        writing = writing.then(() => stream.writeSSE({ event: event.type, data: JSON.stringify(event) })).catch(() => undefined);
      };
      emit({ type: 'accepted', userMessage });
      try {
        const outcome = await runTurn({
          model,
          sandbox,
          sessionId: conversation.id,
          history,
          userText: text,
          emit,
          signal: controller.signal,
          subscribeLifecycle: (identifier, listener) => agent.lifecycle.subscribe(identifier, listener),
          weather: deps.weather,
          saveImage: (image) => {
            const imageId = deps.store.saveImage(conversation.id, { fileName: image.fileName, mediaType: image.mediaType, data: Buffer.from(image.base64, 'base64') });
            return { url: `/api/conversations/${conversation.id}/images/${imageId}`, fileName: image.fileName, mediaType: image.mediaType };
          },
        });
        // The user's turn is replayed to the model from the assistant row, so it is stored once.
        const parts = outcome.parts.length > 0 ? outcome.parts : [{ type: 'text' as const, text: outcome.error ? `Sorry, that failed: ${outcome.error}` : '' }];
        const message = deps.store.addMessage(conversation.id, 'assistant', parts, outcome.modelMessages);
        emit({ type: 'done', message });
      } catch (error) {
        deps.logger.error({ err: error, conversation: conversation.id }, 'turn failed');
        const message = error instanceof Error ? error.message : String(error);
        deps.store.addMessage(conversation.id, 'assistant', [{ type: 'text', text: `Sorry, that failed: ${message}` }], [{ role: 'user', content: text }]);
        emit({ type: 'error', message });
        emit({ type: 'done' });
      } finally {
        deps.busy.delete(conversation.id);
        await writing;
      }
    });
  });
}
