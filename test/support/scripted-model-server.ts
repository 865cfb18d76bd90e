/**
 * A scripted OpenAI-compatible model server: real HTTP on 127.0.0.1 (port 0) answering
 * POST /v1/chat/completions, streaming or not, with the next scripted reply (tool calls or text).
 * Anything it does not expect — another path, a step whose expectation does not match, a request
 * after the script ran out — is answered 400 with the reason and recorded in `failures`, so a test
 * that asserts `failures` is empty fails loudly.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ScriptedReply = { toolCalls: { name: string; arguments: Record<string, unknown> }[] } | { text: string };

export interface ScriptedStep {
  /** The last user message must contain this (string) or match it (RegExp). */
  expectUser?: string | RegExp;
  /** The request must end with the result of a call to this tool. */
  expectToolResult?: string;
  /** The tool result (the last message) must contain this / match it. */
  expectToolResultText?: string | RegExp;
  reply: ScriptedReply;
}

export interface ChatRequestBody {
  model: string;
  stream?: boolean;
  messages: { role: string; content?: unknown; tool_calls?: { function: { name: string } }[]; tool_call_id?: string }[];
  tools?: { function: { name: string } }[];
}

export interface ScriptedModelServer {
  /** Base URL for OPENAI_BASE_URL, e.g. http://127.0.0.1:43123/v1 */
  url: string;
  requests: ChatRequestBody[];
  failures: string[];
  push(...steps: ScriptedStep[]): void;
  /** Steps not consumed yet. */
  pending(): number;
  close(): Promise<void>;
}

export async function startScriptedModelServer(steps: ScriptedStep[] = []): Promise<ScriptedModelServer> {
  const queue = [...steps];
  const requests: ChatRequestBody[] = [];
  const failures: string[] = [];
  let callCounter = 0;

  const fail = (response: ServerResponse, reason: string) => {
    const message = `Scripted model server: ${reason}`;
    failures.push(message);
    console.error(message);
    response.writeHead(400, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message, type: 'invalid_request_error' } }));
  };

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => fail(response, `handler crashed: ${String(error)}`));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST' || request.url?.split('?')[0] !== '/v1/chat/completions') {
      return fail(response, `unexpected request ${request.method} ${request.url}`);
    }
    const body = JSON.parse(await readBody(request)) as ChatRequestBody;
    requests.push(body);
    const step = queue.shift();
    if (!step) return fail(response, `no scripted reply left for request #${requests.length} (last message: ${describeLast(body)})`);
    const mismatch = checkStep(step, body);
    if (mismatch) return fail(response, `request #${requests.length} ${mismatch}`);
    const reply = step.reply;
    const toolCalls = 'toolCalls' in reply ? reply.toolCalls.map((call) => ({ id: `call_${++callCounter}`, ...call })) : [];
    if (body.stream) streamReply(response, body.model, reply, toolCalls);
    else jsonReply(response, body.model, reply, toolCalls);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    failures,
    push: (...more) => queue.push(...more),
    pending: () => queue.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function checkStep(step: ScriptedStep, body: ChatRequestBody): string | undefined {
  const messages = body.messages ?? [];
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  if (step.expectUser !== undefined && !matches(textOf(lastUser?.content), step.expectUser)) {
    return `expected the last user message to match ${String(step.expectUser)}, got "${textOf(lastUser?.content)}"`;
  }
  if (step.expectToolResult !== undefined || step.expectToolResultText !== undefined) {
    const last = messages.at(-1);
    if (last?.role !== 'tool') return `expected a tool result as the last message, got ${describeLast(body)}`;
    if (step.expectToolResult !== undefined) {
      const call = messages.flatMap((message) => message.tool_calls ?? []).find((c) => (c as { id?: string }).id === last.tool_call_id);
      if (call?.function.name !== step.expectToolResult) return `expected a ${step.expectToolResult} result, got one for ${call?.function.name}`;
    }
    if (step.expectToolResultText !== undefined && !matches(textOf(last.content), step.expectToolResultText)) {
      return `expected the tool result to match ${String(step.expectToolResultText)}, got "${textOf(last.content).slice(0, 500)}"`;
    }
  }
  if ('toolCalls' in step.reply) {
    const offered = new Set((body.tools ?? []).map((t) => t.function.name));
    const missing = step.reply.toolCalls.find((call) => !offered.has(call.name));
    if (missing) return `scripted a call to ${missing.name}, but the request offered only [${[...offered].join(', ')}]`;
  }
  return undefined;
}

type NumberedCall = { id: string; name: string; arguments: Record<string, unknown> };

function jsonReply(response: ServerResponse, model: string, reply: ScriptedReply, calls: NumberedCall[]): void {
  const message =
    'text' in reply
      ? { role: 'assistant', content: reply.text }
      : { role: 'assistant', content: null, tool_calls: calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } })) };
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      id: 'chatcmpl-scripted',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message, finish_reason: 'text' in reply ? 'stop' : 'tool_calls' }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    }),
  );
}

function streamReply(response: ServerResponse, model: string, reply: ScriptedReply, calls: NumberedCall[]): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta: unknown, finishReason: string | null = null) =>
    response.write(
      `data: ${JSON.stringify({ id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`,
    );
  chunk({ role: 'assistant', content: '' });
  if ('text' in reply) {
    // Several deltas, so clients really see a stream.
    for (const piece of reply.text.match(/.{1,12}/gs) ?? []) chunk({ content: piece });
  } else {
    calls.forEach((call, index) =>
      chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } }] }),
    );
  }
  chunk({}, 'text' in reply ? 'stop' : 'tool_calls');
  response.write(
    `data: ${JSON.stringify({ id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created: 0, model, choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })}\n\n`,
  );
  response.end('data: [DONE]\n\n');
}

function matches(text: string, expected: string | RegExp): boolean {
  return typeof expected === 'string' ? text.includes(expected) : expected.test(text);
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part === 'object' && part && 'text' in part ? String(part.text) : '')).join('');
  return content === undefined || content === null ? '' : JSON.stringify(content);
}

function describeLast(body: ChatRequestBody): string {
  const last = body.messages?.at(-1);
  return last ? `${last.role}: ${textOf(last.content).slice(0, 200)}` : '(no messages)';
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
