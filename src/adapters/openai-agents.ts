/**
 * `tidepool/openai-agents`: the agent tools (the weather tools and a code tool per language) as OpenAI Agents SDK function tools (@openai/agents, an
 * optional peer dependency loaded only by this entry). The SDK accepts Zod only in strict mode,
 * which would make every optional argument required, so the tools declare JSON Schema and the
 * arguments are validated by the same Zod schema as on every other path.
 */
import { tool, type FunctionTool } from '@openai/agents';
import { z } from 'zod';
import { agentToolDefinition, modelText, runAgentTool } from '../tools/ai-sdk.js';
import { chosenTools, type FrameworkToolBinding } from './binding.js';

export type { FrameworkToolBinding as OpenAIAgentsToolBinding } from './binding.js';

type Parameters = { type: 'object'; properties: Record<string, Record<string, unknown>>; required: string[]; additionalProperties: true };

export function createOpenAIAgentsTools(binding: FrameworkToolBinding): FunctionTool<unknown, Parameters, unknown>[] {
  return chosenTools(binding).map((name) => {
    const { description, schema } = agentToolDefinition(name);
    return tool({
      name,
      description,
      parameters: jsonParameters(schema),
      strict: false,
      execute: async (input, _context, details) => {
        const output = await runAgentTool(name, input, binding, details?.toolCall?.callId ?? `openai-agents-${name}`, details?.signal);
        return modelText(output);
      },
    });
  });
}

function jsonParameters(schema: z.ZodType): Parameters {
  const { properties = {}, required = [] } = z.toJSONSchema(schema, { io: 'input' }) as { properties?: Parameters['properties']; required?: string[] };
  return { type: 'object', properties, required, additionalProperties: true };
}
