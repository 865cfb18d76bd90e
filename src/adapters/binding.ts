/** What the framework adapters bind their tools to: a sandbox and the conversation's session in it. */
import type { Language, Sandbox } from '../sandbox/types.js';
import type { WeatherToolOptions } from '../tools/research-weather.js';
import { TOOL_NAMES, toolNamesFor, type AgentToolName } from '../tools/ai-sdk.js';
import { InvalidInputError } from '../errors.js';

export interface FrameworkToolBinding {
  sandbox: Sandbox;
  /** The session every call runs in, so state and files carry from call to call. */
  sessionId: string;
  /** Open-Meteo URLs, the environment to read them from, a fixed "today". */
  weather?: WeatherToolOptions;
  /** Which tools to offer; default the weather tools and the code tool of each of `languages`. */
  tools?: readonly AgentToolName[];
  /** The languages whose code tools are offered by default (`await sandbox.languages()`); default Python only. */
  languages?: readonly Language[];
}

export function chosenTools(binding: FrameworkToolBinding): readonly AgentToolName[] {
  const chosen = binding.tools ?? toolNamesFor(binding.languages ?? ['python']);
  const unknown = chosen.filter((name) => !TOOL_NAMES.includes(name));
  if (unknown.length > 0) throw new InvalidInputError(`Unknown tool ${unknown.join(', ')}; choose from ${TOOL_NAMES.join(', ')}.`);
  return chosen;
}
