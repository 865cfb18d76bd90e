/** The framework adapters themselves: same names, schemas and runner as the AI SDK tools, images kept for the person. */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, test } from 'vitest';
import { createLangChainTools } from '../../src/adapters/langchain.js';
import { createOpenAIAgentsTools } from '../../src/adapters/openai-agents.js';
import { createAiSdkTools, TOOL_NAMES } from '../../src/adapters/ai-sdk.js';
import { createSandbox } from '../../src/sandbox/factory.js';
import type { AgentToolName } from '../../src/tools/ai-sdk.js';

const sandbox = createSandbox('local');
afterAll(() => sandbox.close());

describe('tidepool/langchain', () => {
  test('offers the weather tools and run_python by default; a call keeps text for the model and images in the artifact', async () => {
    const sessionId = randomUUID();
    const tools = createLangChainTools({ sandbox, sessionId });
    expect(tools.map((tool) => tool.name)).toEqual(['research_weather', 'chart_weather', 'run_python']);
    const runPython = tools.find((tool) => tool.name === 'run_python')!;
    await runPython.invoke({ id: 'call-1', name: 'run_python', args: { code: 'n = 3' }, type: 'tool_call' });
    const message = await runPython.invoke({
      id: 'call-2',
      name: 'run_python',
      args: { code: 'import matplotlib.pyplot as plt\nplt.plot(range(n))\nprint(n * 2)' },
      type: 'tool_call',
    });
    expect(message.content).toContain('stdout:\n6');
    expect(message.content).toContain('[figure-1.png shown to the user]');
    expect(message.artifact.images).toHaveLength(1);
    expect(message.artifact.images[0].mediaType).toBe('image/png');
  }, 60_000);

  test("offers the code tool of each of the sandbox's languages; run_shell reports the exit code", async () => {
    const tools = createLangChainTools({ sandbox, sessionId: randomUUID(), languages: await sandbox.languages() });
    expect(tools.map((tool) => tool.name)).toEqual(['research_weather', 'chart_weather', 'run_python', 'run_javascript', 'run_shell']);
    const runShell = tools.find((tool) => tool.name === 'run_shell')!;
    const message = await runShell.invoke({ id: 'call-1', name: 'run_shell', args: { command: 'echo hi; exit 2' }, type: 'tool_call' });
    expect(message.content).toBe('stdout:\nhi\n\nexit code: 2');
    expect(message.artifact.data).toMatchObject({ status: 'failure', exitCode: 2, error: { type: 'NonZeroExit' } });
  }, 60_000);

  test('rejects input the schema refuses, before anything runs', async () => {
    const [runPython] = createLangChainTools({ sandbox, sessionId: randomUUID(), tools: ['run_python'] });
    await expect(runPython!.invoke({ code: '' })).rejects.toThrow();
  });

  test('names an unknown tool and the valid ones', () => {
    expect(() => createLangChainTools({ sandbox, sessionId: 'x', tools: ['rm_rf' as AgentToolName] })).toThrow(/Unknown tool rm_rf; choose from research_weather, chart_weather, run_python, run_javascript, run_shell\./);
  });
});

describe('tidepool/openai-agents', () => {
  test('declares the same parameters as the Zod schemas, as JSON Schema', () => {
    const tools = createOpenAIAgentsTools({ sandbox, sessionId: randomUUID(), tools: TOOL_NAMES });
    expect(tools.map((tool) => tool.name)).toEqual([...TOOL_NAMES]);
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    expect(byName.run_python!.parameters.required).toEqual(['code']);
    expect(Object.keys(byName.run_python!.parameters.properties)).toEqual(['code', 'timeoutSeconds']);
    expect(byName.run_shell!.parameters.required).toEqual(['command']);
    expect(byName.run_javascript!.parameters.required).toEqual(['code']);
    expect(byName.research_weather!.parameters.required).toEqual(['destination']);
    expect(byName.chart_weather!.parameters.properties.places).toMatchObject({ type: 'array', maxItems: 4 });
  });
});

describe('tidepool/ai-sdk', () => {
  test('is the agent’s own tool set: the code tools of the languages given, Python only by default', () => {
    expect(Object.keys(createAiSdkTools({ sandbox, sessionId: randomUUID() }))).toEqual(['research_weather', 'chart_weather', 'run_python']);
    expect(Object.keys(createAiSdkTools({ sandbox, sessionId: randomUUID(), languages: ['python', 'javascript', 'shell'] }))).toEqual([...TOOL_NAMES]);
    expect(Object.keys(createAiSdkTools({ sandbox, sessionId: randomUUID(), languages: ['shell'] }))).toEqual(['research_weather', 'chart_weather', 'run_shell']);
  });
});
