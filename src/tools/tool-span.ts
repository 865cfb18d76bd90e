/** The span around one agent-tool call, whichever front end (MCP, AI SDK, LangChain, OpenAI Agents, web) made it. */
import type { Sandbox } from '../sandbox/types.js';
import { ATTR, hashIdentifier } from '../telemetry/attributes.js';
import { recorders } from '../telemetry/recorders.js';

export async function withToolSpan<T>(toolName: string, sandbox: Sandbox, sessionId: string, run: () => Promise<T>): Promise<T> {
  const loading = recorders();
  if (!loading) return run();
  const { inSpan } = await loading;
  return inSpan(
    `execute_tool ${toolName}`,
    { [ATTR.genAiOperation]: 'execute_tool', [ATTR.toolName]: toolName, [ATTR.backend]: sandbox.type, [ATTR.sessionHash]: hashIdentifier(sessionId) },
    run,
  );
}
