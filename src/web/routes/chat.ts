/**
 * POST /api/conversations/:id/messages: one turn, streamed as server-sent events
 * (`text-delta`, `tool-start`, `tool-lifecycle`, `session-reset`, `tool-end`, `error`, `stopped`,
 * then `done` with the stored message). POST /api/conversations/:id/stop ends a running turn;
 * so does a browser that goes away.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { messageProblem } from '../../agent/input-limits.js';
import { runTurn } from '../../agent/run-turn.js';
import type { AgentEvent, DisplayMessage, MessagePart } from '../../agent/types.js';
import type { WebDeps, WebEnv } from '../deps.js';
import { httpError } from '../http-errors.js';
import { logFailure } from '../log-failure.js';
import { limitBody } from '../body-limit.js';
import { availableAgent } from './available-agent.js';
import { ownConversation } from './conversations.js';

/** What the browser receives: the turn's events, framed by the stored user and assistant messages. */
type WireEvent = AgentEvent | { type: 'accepted'; userMessage: DisplayMessage } | { type: 'done'; message?: DisplayMessage };

const messageBody = z.object({ text: z.string() });
const TITLE_LENGTH = 60;
export const STOPPED_BY_YOU = 'Stopped by you.';
const BROWSER_GONE = 'The browser went away, so the turn was stopped.';

export function chatRoutes(deps: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.post('/api/conversations/:id/stop', (c) => {
    const conversation = ownConversation(deps, c.get('ownerId'), c.req.param('id'));
    const running = deps.busy.get(conversation.id);
    if (!running) throw httpError(409, 'Nothing to stop: this conversation is not answering.', 'not_running');
    running.abort(STOPPED_BY_YOU);
    return c.json({ stopping: true }, 202);
  });

  app.post('/api/conversations/:id/messages', limitBody(), async (c) => {
    const conversation = ownConversation(deps, c.get('ownerId'), c.req.param('id'));
    const body = messageBody.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) throw httpError(400, 'Send JSON such as {"text": "What is the weather in Lisbon in May?"}.');
    const problem = messageProblem(body.data.text);
    if (problem) throw httpError(400, problem, 'message_rejected');
    if (!deps.modelSetup.configured || !deps.model) throw httpError(503, deps.modelSetup.configured ? 'No model.' : deps.modelSetup.reason, 'model_not_configured');
    const agent = availableAgent(deps, conversation.agentId);
    if (deps.busy.has(conversation.id)) throw httpError(409, 'This conversation is already answering; wait for the reply to finish, or press Stop.', 'busy');

    const model = deps.model;
    const sandbox = agent.sandbox;
    const text = body.data.text.trim();
    const stored = deps.store.messages(conversation.id);
    const history = deps.store.modelHistory(conversation.id);
    const sessionUsedBefore = stored.some((message) => message.parts.some((part) => part.type === 'tool' && part.call.sandboxType !== undefined));
    const userMessage = deps.store.addMessage(conversation.id, 'user', [{ type: 'text', text }], []);
    if (history.length === 0) deps.store.rename(conversation.id, text.length > TITLE_LENGTH ? `${text.slice(0, TITLE_LENGTH - 1)}…` : text);
    const controller = new AbortController();
    deps.busy.set(conversation.id, controller);

    return streamSSE(c, async (stream) => {
      stream.onAbort(() => controller.abort(BROWSER_GONE));
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
          modelTimeoutMs: deps.modelTimeoutMs,
          continuity: deps.continuity,
          sessionUsedBefore,
          subscribeLifecycle: (identifier, listener) => agent.lifecycle.subscribe(identifier, listener),
          weather: deps.weather,
          saveImage: (image) => {
            const imageId = deps.store.saveImage(conversation.id, { fileName: image.fileName, mediaType: image.mediaType, data: Buffer.from(image.base64, 'base64') });
            return { url: `/api/conversations/${conversation.id}/images/${imageId}`, fileName: image.fileName, mediaType: image.mediaType };
          },
        });
        if (outcome.error) logFailure(deps.logger, 'model call failed', outcome.error, { conversation: conversation.id });
        // The user's turn is replayed to the model from the assistant row, so it is stored once.
        const parts: MessagePart[] = [...outcome.parts];
        if (outcome.error) parts.push({ type: 'notice', level: 'error', text: `The model call failed: ${outcome.error}` });
        if (outcome.stopped) parts.push({ type: 'notice', level: 'stopped', text: outcome.stopped });
        const message = deps.store.addMessage(conversation.id, 'assistant', parts, outcome.modelMessages);
        emit({ type: 'done', message });
      } catch (error) {
        logFailure(deps.logger, 'turn failed', error, { conversation: conversation.id });
        const message = error instanceof Error ? error.message : String(error);
        const stored = deps.store.addMessage(conversation.id, 'assistant', [{ type: 'notice', level: 'error', text: `Sorry, that failed: ${message}` }], [{ role: 'user', content: text }]);
        emit({ type: 'error', message });
        emit({ type: 'done', message: stored });
      } finally {
        deps.busy.delete(conversation.id);
        await writing;
      }
    });
  });

  return app;
}
