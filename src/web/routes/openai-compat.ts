/**
 * An OpenAI-compatible face for the agents, so any chat client can use them:
 * GET /v1/models lists the agents; POST /v1/chat/completions runs a turn (model = agent id,
 * e.g. `travel-pool`), streaming (SSE chunks, then `data: [DONE]`) or not. The API is stateless
 * like OpenAI's: the client sends the history. Send `X-Tidepool-Session: <uuid>` to keep one
 * sandbox session (variables, files) across requests; without it each request gets a fresh one.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ModelMessage } from 'ai';
import { z } from 'zod';
import { historyProblem, messageProblem } from '../../agent/input-limits.js';
import { errorMessage, runTurn, type TurnOutcome } from '../../agent/run-turn.js';
import type { AgentEvent } from '../../agent/types.js';
import { isSandboxError } from '../../errors.js';
import type { WebDeps, WebEnv } from '../deps.js';
import { limitBody } from '../body-limit.js';
import { errorStatus } from '../http-errors.js';
import { logFailure } from '../log-failure.js';
import { isUuid } from '../owner.js';

const contentSchema = z.union([z.string(), z.null(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]).optional();
const chatBody = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.looseObject({ role: z.string(), content: contentSchema })).min(1),
  stream: z.boolean().optional(),
});

export const SESSION_HEADER = 'x-tidepool-session';

export function openAiRoutes(deps: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/v1/models', (c) =>
    c.json({
      object: 'list',
      data: deps.agents.list().map((agent) => ({ id: agent.id, object: 'model', created: 0, owned_by: 'tidepool', available: agent.available, ...(agent.reason ? { reason: agent.reason } : {}) })),
    }),
  );

  app.post('/v1/chat/completions', limitBody('openai'), async (c) => {
    const parsed = chatBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return openAiError(c, 400, `Invalid request: ${z.prettifyError(parsed.error)}`, 'invalid_request_error');
    const body = parsed.data;
    let agent;
    try {
      agent = deps.agents.get(body.model);
    } catch (error) {
      return openAiError(c, 404, errorMessage(error), 'model_not_found');
    }
    if (!agent.available || !agent.sandbox) return openAiError(c, 503, `${agent.name} is unavailable: ${agent.reason}`, 'agent_unavailable');
    if (!deps.modelSetup.configured || !deps.model) return openAiError(c, 503, deps.modelSetup.configured ? 'No model.' : deps.modelSetup.reason, 'model_not_configured');
    const last = body.messages.at(-1)!;
    if (last.role !== 'user') return openAiError(c, 400, 'The last message must come from the user.', 'invalid_request_error');
    const userText = textOf(last.content);
    const problem = messageProblem(userText) ?? historyProblem(body.messages.map((message) => ({ content: textOf(message.content) })));
    if (problem) return openAiError(c, 400, problem, 'invalid_request_error');
    const history = toHistory(body.messages.slice(0, -1));
    const requested = c.req.header(SESSION_HEADER);
    if (requested !== undefined && !isUuid(requested)) return openAiError(c, 400, `${SESSION_HEADER} must be a UUID you generated (keep it secret).`, 'invalid_request_error');
    const sessionId = requested ?? randomUUID();
    const sandbox = agent.sandbox;
    const model = deps.model;
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);

    const turn = (emit: (event: AgentEvent) => void, signal: AbortSignal) =>
      runTurn({
        model,
        sandbox,
        sessionId,
        history,
        userText,
        emit,
        signal,
        modelTimeoutMs: deps.modelTimeoutMs,
        continuity: deps.continuity,
        subscribeLifecycle: (identifier, listener) => agent.lifecycle.subscribe(identifier, listener),
        weather: deps.weather,
        // Stateless clients get images inline, as markdown with a data URL.
        saveImage: (image) => ({ url: `data:${image.mediaType};base64,${image.base64}`, fileName: image.fileName, mediaType: image.mediaType }),
      }).finally(() => (requested ? undefined : sandbox.session(sessionId).close().catch(() => undefined)));

    if (!body.stream) {
      let content = '';
      // The request's signal aborts when the caller disconnects: the turn ends with it, tools and cell included.
      const gone = new AbortController();
      const onGone = () => gone.abort('The client disconnected, so the turn was stopped.');
      if (c.req.raw.signal.aborted) onGone();
      c.req.raw.signal.addEventListener('abort', onGone, { once: true });
      let outcome: TurnOutcome;
      try {
        outcome = await turn((event) => (content += contentOf(event)), gone.signal);
      } finally {
        c.req.raw.signal.removeEventListener('abort', onGone);
      }
      if (outcome.stopped) return openAiError(c, 504, outcome.stopped, 'turn_stopped');
      if (outcome.error) logFailure(deps.logger, 'model call failed', outcome.error, { agent: agent.id });
      if (outcome.error && content === '') return openAiError(c, 502, `The model call failed: ${outcome.error}`, 'upstream_error');
      const failedTools = outcome.parts.flatMap((part) => (part.type === 'tool' && part.call.status === 'error' ? [part.call.toolName] : []));
      return c.json({
        id,
        object: 'chat.completion',
        created,
        model: agent.id,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        // Beyond OpenAI's shape: which tool calls failed, so a client need not read it from the prose.
        tidepool: { failed_tools: failedTools, ...(outcome.error ? { error: outcome.error } : {}) },
      });
    }

    return streamSSE(c, async (stream) => {
      const controller = new AbortController();
      stream.onAbort(() => controller.abort('The client disconnected, so the turn was stopped.'));
      const chunk = (delta: object, finishReason: string | null = null) => ({
        data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model: agent.id, choices: [{ index: 0, delta, finish_reason: finishReason }] }),
      });
      let writing = stream.writeSSE(chunk({ role: 'assistant', content: '' }));
      const emit = (event: AgentEvent) => {
        const content = contentOf(event);
        if (event.type === 'error') writing = writing.then(() => stream.writeSSE({ data: JSON.stringify({ error: { message: event.message, type: 'upstream_error' } }) }));
        else if (event.type === 'stopped') writing = writing.then(() => stream.writeSSE({ data: JSON.stringify({ error: { message: event.reason, type: 'turn_stopped' } }) }));
        else if (content) writing = writing.then(() => stream.writeSSE(chunk({ content })));
      };
      try {
        const outcome = await turn(emit, controller.signal);
        if (outcome.error) logFailure(deps.logger, 'model call failed', outcome.error, { agent: agent.id });
      } catch (error) {
        logFailure(deps.logger, 'turn failed', error, { agent: agent.id });
        emit({ type: 'error', message: isSandboxError(error) ? error.message : errorMessage(error) });
      }
      await writing.catch(() => undefined);
      await stream.writeSSE(chunk({}, 'stop'));
      await stream.writeSSE({ data: '[DONE]' });
    });
  });

  return app;
}

/** The text a chat client sees of an agent event: the reply, plus charts as markdown images. */
function contentOf(event: AgentEvent): string {
  if (event.type === 'text-delta') return event.text;
  if (event.type === 'tool-end') return event.call.images.map((image) => `\n\n![${image.fileName}](${image.url})\n\n`).join('');
  if (event.type === 'session-reset') return `\n\n_${event.message}_\n\n`;
  return '';
}

function toHistory(messages: z.infer<typeof chatBody>['messages']): ModelMessage[] {
  // System prompts belong to the agent; tool messages belong to the client's own tools.
  return messages.flatMap((message): ModelMessage[] => {
    const text = textOf(message.content);
    if (message.role === 'user') return [{ role: 'user', content: text }];
    if (message.role === 'assistant' && text) return [{ role: 'assistant', content: text }];
    return [];
  });
}

function textOf(content: z.infer<typeof contentSchema>): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? '').join('');
  return '';
}

function openAiError(c: Context<WebEnv>, status: ContentfulStatusCode, message: string, code: string): Response {
  return c.json({ error: { message, type: code, code } }, status);
}

/** OpenAI-style rendering for failures thrown in /v1 routes. */
export function renderOpenAiError(error: unknown, c: Context<WebEnv>): Response {
  const { status, code, message } = errorStatus(error);
  return openAiError(c, status, message, code);
}
