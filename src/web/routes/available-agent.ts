/** Every route that names an agent goes through here, so an unavailable one is refused everywhere. */
import type { TravelAgent } from '../../agent/travel-agents.js';
import type { Sandbox } from '../../sandbox/types.js';
import type { WebDeps } from '../deps.js';
import { httpError } from '../http-errors.js';

/** The agent with this id (or alias) when it can run code; 404 when unknown, 503 with the reason when unavailable. */
export function availableAgent(deps: WebDeps, id: string): TravelAgent & { sandbox: Sandbox } {
  const agent = deps.agents.get(id);
  if (!agent.available || !agent.sandbox) throw httpError(503, `${agent.name} is unavailable: ${agent.reason ?? 'no sandbox'}`, 'agent_unavailable');
  return agent as TravelAgent & { sandbox: Sandbox };
}
