import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLanguageModel } from '../../src/agent/language-model.js';
import { LifecycleRouter } from '../../src/sandbox/lifecycle-router.js';
import { runTurn } from '../../src/agent/run-turn.js';
import type { AgentEvent } from '../../src/agent/types.js';
import type { ModelMessage } from 'ai';
import { createLocalSandbox } from '../../src/sandbox/backends/local/local-sandbox.js';
import { startScriptedModelServer, type ScriptedModelServer } from '../support/scripted-model-server.js';

describe('runTurn with run_python on Local and a scripted model', () => {
  let model: ScriptedModelServer;
  const router = new LifecycleRouter();
  const sandbox = createLocalSandbox({ onLifecycle: router.dispatch });
  const sessionId = crypto.randomUUID();

  beforeAll(async () => {
    model = await startScriptedModelServer();
  });
  afterAll(async () => {
    await sandbox.close();
    await model.close();
  });

  const turn = (history: ModelMessage[], userText: string, events: AgentEvent[]) =>
    runTurn({
      model: createLanguageModel({ provider: 'openai-compatible', baseUrl: model.url, modelId: 'scripted', label: 'scripted' }),
      sandbox,
      sessionId,
      history,
      userText,
      emit: (event) => events.push(event),
      saveImage: (image) => ({ url: `memory:${image.fileName}`, fileName: image.fileName, mediaType: image.mediaType }),
      subscribeLifecycle: (identifier, listener) => router.subscribe(identifier, listener),
    });

  it('runs tool calls, streams text, and keeps session state across turns', async () => {
    model.push(
      { expectUser: 'remember 41', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'x = 41\nprint("stored")' } }] } },
      { expectToolResult: 'run_python', expectToolResultText: 'stored', reply: { text: 'I stored 41 in x.' } },
    );
    const firstEvents: AgentEvent[] = [];
    const first = await turn([], 'Please remember 41', firstEvents);
    expect(first.error).toBeUndefined();
    expect(first.text).toBe('I stored 41 in x.');
    const start = firstEvents.find((e) => e.type === 'tool-start');
    expect(start).toMatchObject({ toolName: 'run_python', sandboxType: 'Local', input: { code: 'x = 41\nprint("stored")' } });
    const phases = firstEvents.flatMap((e) => (e.type === 'tool-lifecycle' ? [e.event.phase] : []));
    expect(phases).toEqual(['creating', 'ready', 'executing', 'finished']);
    const end = firstEvents.find((e) => e.type === 'tool-end');
    expect(end?.type === 'tool-end' && end.call).toMatchObject({ status: 'success', lifecycle: expect.any(Array), text: expect.stringContaining('stored') });
    expect(firstEvents.filter((e) => e.type === 'text-delta').length).toBeGreaterThan(1);
    expect(first.parts.map((p) => p.type)).toEqual(['tool', 'text']);

    // Second turn: the model sees the first turn (history) and the kernel still has x.
    model.push(
      { expectUser: 'add one', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'x + 1' } }] } },
      { expectToolResultText: 'result: 42', reply: { text: 'x + 1 is 42.' } },
    );
    const second = await turn(first.modelMessages, 'Now add one', []);
    expect(second.text).toBe('x + 1 is 42.');
    const historySent = model.requests.at(-2)!.messages.map((m) => m.role);
    expect(historySent).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
    expect(model.failures).toEqual([]);
  });

  it('returns figures as images and reports code errors to the model', async () => {
    model.push(
      { reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'import matplotlib.pyplot as plt\nplt.plot([1,2,3])\nplt.show()\n1/0' } }] } },
      { expectToolResultText: /ZeroDivisionError[\s\S]*image\(s\) shown to the user|figure-1\.png shown to the user/, reply: { text: 'That divided by zero.' } },
    );
    const events: AgentEvent[] = [];
    const outcome = await turn([], 'plot and fail', events);
    expect(model.failures).toEqual([]);
    expect(outcome.text).toBe('That divided by zero.');
    const end = events.find((e) => e.type === 'tool-end');
    expect(end?.type === 'tool-end' && end.call.text).toContain('ZeroDivisionError');
    expect(end?.type === 'tool-end' && end.call.images.map((i) => i.mediaType)).toEqual(['image/png']);
  });
});
