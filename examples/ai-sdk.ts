/**
 * Tidepool's tools in a Vercel AI SDK loop: the model writes Python, the pool runs it.
 *
 *   OPENAI_API_KEY=… node examples/ai-sdk.ts "What is the 20th Fibonacci number?"
 *
 * OPENAI_BASE_URL points at any OpenAI-compatible server; OPENAI_MODEL picks the model.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs } from 'ai';
import { randomUUID } from 'node:crypto';
import { createSandbox } from 'tidepool';
import { createAiSdkTools } from 'tidepool/ai-sdk';

const question = process.argv[2] ?? 'What is the 20th Fibonacci number? Compute it with Python.';
const openai = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL });
const sandbox = createSandbox('pool');
try {
  const { text } = await generateText({
    model: openai.chat(process.env.OPENAI_MODEL ?? 'gpt-4.1-mini'),
    // One sandbox session for the conversation: variables and files carry between tool calls.
    tools: createAiSdkTools({ sandbox, sessionId: randomUUID() }),
    stopWhen: stepCountIs(5),
    prompt: question,
  });
  console.log(text);
} finally {
  await sandbox.close();
}
