/**
 * What a turn reports about its tool calls, on Local with a scripted model: a status that matches
 * the outcome (a cell that raised, a research answer that is a failure), the tool's own words for
 * refused arguments, a per-call timeline, and a notice — for the person and in the tool result
 * the model reads — when the session was replaced between turns.
 */
import type { ModelMessage } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLanguageModel } from '../../src/agent/language-model.js';
import { LifecycleRouter } from '../../src/sandbox/lifecycle-router.js';
import { runTurn, type TurnOutcome } from '../../src/agent/run-turn.js';
import { SESSION_RESET_NOTICE, SessionContinuity } from '../../src/agent/session-continuity.js';
import type { AgentEvent, ToolCallView } from '../../src/agent/types.js';
import { createLocalSandbox } from '../../src/sandbox/backends/local/local-sandbox.js';
import { startScriptedModelServer, type ScriptedModelServer } from '../support/scripted-model-server.js';

describe('tool call outcomes in a turn', () => {
  let model: ScriptedModelServer;
  const router = new LifecycleRouter();
  const sandbox = createLocalSandbox({ onLifecycle: router.dispatch });
  const continuity = new SessionContinuity();

  beforeAll(async () => {
    model = await startScriptedModelServer();
  });
  afterAll(async () => {
    await sandbox.close();
    await model.close();
  });

  const turn = (sessionId: string, history: ModelMessage[], userText: string, events: AgentEvent[] = []): Promise<TurnOutcome> =>
    runTurn({
      model: createLanguageModel({ provider: 'openai-compatible', baseUrl: model.url, modelId: 'scripted', label: 'scripted' }),
      sandbox,
      sessionId,
      history,
      userText,
      continuity,
      emit: (event) => events.push(event),
      saveImage: (image) => ({ url: `memory:${image.fileName}`, fileName: image.fileName, mediaType: image.mediaType }),
      subscribeLifecycle: (identifier, listener) => router.subscribe(identifier, listener),
      weather: { today: '2025-06-10', openMeteo: { geocodingUrl: 'http://127.0.0.1:9', forecastUrl: 'http://127.0.0.1:9', archiveUrl: 'http://127.0.0.1:9' } },
    });
  const calls = (outcome: TurnOutcome): ToolCallView[] => outcome.parts.flatMap((part) => (part.type === 'tool' ? [part.call] : []));

  it('marks a cell that raised, a failed research answer and refused arguments as failed, the last in the tool\'s words', async () => {
    const sessionId = crypto.randomUUID();
    model.push(
      {
        expectUser: 'try',
        reply: {
          toolCalls: [
            { name: 'run_python', arguments: { code: 'undefined_name + 1' } },
            { name: 'research_weather', arguments: { destination: 'Lisbon', dates: 'the twelfth of never' } },
            { name: 'research_weather', arguments: { dates: 'May' } },
          ],
        },
      },
      { expectToolResultText: /research_weather could not run: destination is missing/, reply: { text: 'Those failed.' } },
    );
    const outcome = await turn(sessionId, [], 'try three things');
    const [python, research, refused] = calls(outcome);
    expect(python).toMatchObject({ toolName: 'run_python', status: 'error', sandboxType: 'Local' });
    expect(python!.text).toContain('NameError');
    expect(research).toMatchObject({ toolName: 'research_weather', status: 'error' });
    expect(research!.text).toMatch(/^⚠️/);
    expect(refused).toMatchObject({ toolName: 'research_weather', status: 'error' });
    expect(refused!.text).toBe('research_weather could not run: destination is missing. Call it like {"destination": "Lisbon, Portugal", "dates": "May"}.');
    expect(outcome.error).toBeUndefined();
    expect(model.failures).toEqual([]);
  }, 60_000);

  it('times each call from its own start, and says when the session was replaced between turns', async () => {
    const sessionId = crypto.randomUUID();
    model.push(
      { expectUser: 'remember', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'x = 41' } }] } },
      { reply: { text: 'Stored.' } },
      { expectUser: 'again', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'x = 1' } }] } },
      { reply: { text: 'Stored again.' } },
    );
    const first = await turn(sessionId, [], 'remember 41');
    const [created] = calls(first);
    expect(created!.timeline!.map((step) => step.phase)).toEqual(['creating', 'ready', 'executing', 'finished']);
    expect(created!.timeline![1]).toMatchObject({ phase: 'ready', reused: false });
    expect(created!.sessionReset).toBeUndefined();

    const second = await turn(sessionId, first.modelMessages, 'again');
    const [reused] = calls(second);
    const steps = reused!.timeline!;
    expect(steps.map((step) => step.phase)).toEqual(['ready', 'executing', 'finished']);
    expect(steps[0]).toMatchObject({ reused: true });
    // Each step's time is the call's, not the session's age (which includes the whole first turn).
    const finished = steps[2]!;
    expect(finished.atMs).toBe(finished.durationMs);
    expect(finished.atMs).toBeLessThanOrEqual(reused!.durationMs!);
    expect(steps[1]!.durationMs).toBeLessThanOrEqual(finished.atMs);
    expect(reused!.sessionReset).toBeUndefined();

    // The backend loses the session (here: closed behind the conversation's back).
    await sandbox.session(sessionId).close();
    model.push(
      { expectUser: 'what was x', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'x' } }] } },
      { expectToolResultText: `[tidepool] ${SESSION_RESET_NOTICE}`, reply: { text: 'The sandbox was reset; x is gone.' } },
    );
    const events: AgentEvent[] = [];
    const third = await turn(sessionId, [...first.modelMessages, ...second.modelMessages], 'what was x', events);
    const [lost] = calls(third);
    expect(lost).toMatchObject({ status: 'error', sessionReset: SESSION_RESET_NOTICE });
    expect(lost!.text).toContain('NameError');
    expect(events).toContainEqual({ type: 'session-reset', callId: lost!.callId, message: SESSION_RESET_NOTICE });
    expect(lost!.timeline!.map((step) => step.phase)).toEqual(['creating', 'ready', 'executing', 'failed']);
    expect(model.failures).toEqual([]);
  }, 90_000);

  it('reports no reset for a new conversation whose first call creates the session', async () => {
    const sessionId = crypto.randomUUID();
    model.push({ expectUser: 'first', reply: { toolCalls: [{ name: 'run_python', arguments: { code: '1 + 1' } }] } }, { expectToolResultText: /^result: 2$/, reply: { text: '2' } });
    const outcome = await turn(sessionId, [], 'first call');
    expect(calls(outcome)[0]).toMatchObject({ status: 'success' });
    expect(calls(outcome)[0]!.sessionReset).toBeUndefined();
    expect(model.failures).toEqual([]);
  }, 60_000);
});
