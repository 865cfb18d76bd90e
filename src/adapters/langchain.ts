/**
 * `tidepool/langchain`: the agent tools (the weather tools and a code tool per language) as LangChain.js tools (@langchain/core, an optional peer
 * dependency loaded only by this entry). Each returns the model's text as content and the whole
 * output, images included, as the artifact.
 */
import { tool, type StructuredToolInterface } from '@langchain/core/tools';
import { agentToolDefinition, modelText, runAgentTool, type AiSdkToolOutput } from '../tools/ai-sdk.js';
import { chosenTools, type FrameworkToolBinding } from './binding.js';

export type { FrameworkToolBinding as LangChainToolBinding } from './binding.js';
export type { AiSdkToolOutput as TidepoolToolOutput } from '../tools/ai-sdk.js';

export function createLangChainTools(binding: FrameworkToolBinding): StructuredToolInterface[] {
  return chosenTools(binding).map((name) => {
    const { description, schema } = agentToolDefinition(name);
    return tool(
      async (input: unknown, config): Promise<[string, AiSdkToolOutput]> => {
        const output = await runAgentTool(name, input, binding, config?.toolCall?.id ?? `langchain-${name}`, config?.signal);
        return [modelText(output), output];
      },
      { name, description, schema, responseFormat: 'content_and_artifact' },
    ) as StructuredToolInterface;
  });
}
