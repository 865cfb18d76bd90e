/**
 * Tidepool's tools in an OpenAI Agents SDK agent.
 *
 *   OPENAI_API_KEY=… node examples/openai-agents.ts "What is the 20th Fibonacci number?"
 *
 * OPENAI_BASE_URL points at any OpenAI-compatible server (Chat Completions); OPENAI_MODEL picks the model.
 */
import { Agent, run, setOpenAIAPI, setTracingDisabled } from '@openai/agents';
import { randomUUID } from 'node:crypto';
import { createSandbox } from 'tidepool';
import { createOpenAIAgentsTools } from 'tidepool/openai-agents';

// Chat Completions works with every OpenAI-compatible server; the SDK's traces go to OpenAI only, so they are off.
setOpenAIAPI('chat_completions');
setTracingDisabled(true);

const question = process.argv[2] ?? 'What is the 20th Fibonacci number? Compute it with Python.';
const sandbox = createSandbox('pool');
try {
  const agent = new Agent({
    name: 'Calculator',
    instructions: 'Answer with the help of Python. Keep answers short.',
    model: process.env.OPENAI_MODEL ?? 'gpt-4.1-mini',
    tools: createOpenAIAgentsTools({ sandbox, sessionId: randomUUID() }),
  });
  const result = await run(agent, question);
  console.log(result.finalOutput);
} finally {
  await sandbox.close();
}
