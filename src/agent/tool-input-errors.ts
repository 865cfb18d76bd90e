/**
 * When the model calls a tool with arguments its schema refuses, the SDK's error is a raw dump of
 * the validation. The person (and the model, next turn) reads instead what the tool needed, in
 * the tool's own words, with a call that would have worked.
 */
import { asSchema, InvalidToolInputError, jsonSchema, NoSuchToolError, type ToolSet } from 'ai';
import type { ZodType } from 'zod';
import { chartWeatherInputSchema } from '../tools/chart-weather.js';
import { researchWeatherInputSchema } from '../tools/research-weather.js';
import { runJavaScriptInputSchema, runPythonInputSchema, runShellInputSchema } from '../tools/run-code.js';

const TOOLS: Record<string, { schema: ZodType; example: string }> = {
  research_weather: { schema: researchWeatherInputSchema, example: '{"destination": "Lisbon, Portugal", "dates": "May"}' },
  chart_weather: { schema: chartWeatherInputSchema, example: '{"places": ["Miami", "Tokyo"], "dates": "May"}' },
  run_python: { schema: runPythonInputSchema, example: '{"code": "print(1 + 1)"}' },
  run_javascript: { schema: runJavaScriptInputSchema, example: '{"code": "console.log(1 + 1)"}' },
  run_shell: { schema: runShellInputSchema, example: '{"command": "ls -l"}' },
};

/** The tool's own message for a refused call (`offered`: the tools the model has), or undefined when the error is something else. */
export function toolCallProblem(toolName: string, input: unknown, error: unknown, offered: readonly string[] = Object.keys(TOOLS)): string | undefined {
  // The SDK may hand the error over as its text rather than the instance, so the name decides too.
  if (!offered.includes(toolName) || !TOOLS[toolName] || NoSuchToolError.isInstance(error)) return `There is no tool called ${toolName}; the tools are ${offered.join(', ')}.`;
  if (!InvalidToolInputError.isInstance(error) && !String(error).includes('InvalidToolInputError')) return undefined;
  return toolInputProblem(toolName, typeof input === 'string' ? parseJson(input) : input) ?? (TOOLS[toolName] ? `${toolName} could not run: the arguments were not valid JSON. Call it like ${TOOLS[toolName].example}.` : undefined);
}

/** What is wrong with these arguments for this tool, in its words; undefined when they are fine (or the tool is unknown). */
export function toolInputProblem(toolName: string, input: unknown): string | undefined {
  const tool = TOOLS[toolName];
  if (!tool) return undefined;
  const parsed = tool.schema.safeParse(input);
  if (parsed.success) return undefined;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.join('.') || 'the arguments';
    return issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined ? `${field} is missing` : `${field}: ${issue.message}`;
  });
  return `${toolName} could not run: ${problems.join('; ')}. Call it like ${tool.example}.`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The tools with their arguments checked by the tool itself rather than the SDK: the model is
 * offered the same JSON schema, but a call it gets wrong fails with the tool's message (above),
 * which is also what the model reads in the tool result, so its next attempt can be right.
 */
export function withToolWordedInputErrors(tools: ToolSet): ToolSet {
  return Object.fromEntries(
    Object.entries(tools).map(([name, original]) => {
      const spec = TOOLS[name];
      const execute = original.execute;
      if (!spec || !execute) return [name, original];
      const offered = asSchema(original.inputSchema).jsonSchema;
      return [
        name,
        {
          ...original,
          inputSchema: jsonSchema(offered),
          execute: (input: unknown, options: Parameters<typeof execute>[1]) => {
            const parsed = spec.schema.safeParse(input);
            if (!parsed.success) throw new Error(toolInputProblem(name, input));
            return execute(parsed.data, options);
          },
        },
      ];
    }),
  ) as ToolSet;
}
