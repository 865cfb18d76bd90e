/**
 * Tidepool's tools with LangChain.js: a chat model bound to the tools, and a loop that runs each
 * call the model makes until it answers.
 *
 *   OPENAI_API_KEY=… node examples/langchain.ts "What is the 20th Fibonacci number?"
 *
 * OPENAI_BASE_URL points at any OpenAI-compatible server; OPENAI_MODEL picks the model.
 */
import { HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { randomUUID } from 'node:crypto';
import { createSandbox } from 'tidepool';
import { createLangChainTools } from 'tidepool/langchain';

const question = process.argv[2] ?? 'What is the 20th Fibonacci number? Compute it with Python.';
const sandbox = createSandbox('pool');
try {
  const tools = createLangChainTools({ sandbox, sessionId: randomUUID(), tools: ['run_python'] });
  const model = new ChatOpenAI({ model: process.env.OPENAI_MODEL ?? 'gpt-4.1-mini', configuration: { baseURL: process.env.OPENAI_BASE_URL } }).bindTools(tools);
  const messages: BaseMessage[] = [new HumanMessage(question)];
  for (let step = 0; step < 5; step += 1) {
    const reply = await model.invoke(messages);
    messages.push(reply);
    if (!reply.tool_calls?.length) {
      console.log(reply.text);
      break;
    }
    for (const call of reply.tool_calls) {
      const tool = tools.find((candidate) => candidate.name === call.name);
      if (!tool) throw new Error(`The model called an unknown tool: ${call.name}`);
      // Invoked with the whole call, a tool answers with a ToolMessage for the model.
      messages.push(await tool.invoke(call));
    }
  }
} finally {
  await sandbox.close();
}
