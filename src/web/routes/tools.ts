/**
 * POST /api/tools/:tool: run research_weather, chart_weather or a code tool (run_python,
 * run_javascript, run_shell) directly on any available backend, no model needed. Each call gets a fresh session, closed afterwards.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { CallTimeline } from '../../agent/call-timeline.js';
import { toolInputProblem } from '../../agent/tool-input-errors.js';
import { toolFailed } from '../../agent/tool-outcome.js';
import type { LifecycleEvent } from '../../sandbox/lifecycle.js';
import { runAgentTool, TOOL_NAMES, type AgentToolName } from '../../tools/ai-sdk.js';
import type { WebDeps, WebEnv } from '../deps.js';
import { httpError } from '../http-errors.js';
import { availableAgent } from './available-agent.js';

const toolBody = z.object({ agentId: z.string().min(1), input: z.record(z.string(), z.unknown()) });

export function toolRoutes(deps: WebDeps): Hono<WebEnv> {
  return new Hono<WebEnv>().post('/api/tools/:tool', async (c) => {
    const name = c.req.param('tool');
    if (!(TOOL_NAMES as readonly string[]).includes(name)) throw httpError(404, `No tool "${name}". Tools: ${TOOL_NAMES.join(', ')}.`, 'not_found');
    const body = toolBody.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) throw httpError(400, 'Send JSON such as {"agentId": "travel-pool", "input": {"destination": "Lisbon", "dates": "May"}}.');
    const problem = toolInputProblem(name, body.data.input);
    if (problem) throw httpError(400, problem, 'invalid_input');
    const agent = availableAgent(deps, body.data.agentId);
    const sessionId = randomUUID();
    const lifecycle: LifecycleEvent[] = [];
    const timeline = new CallTimeline();
    const startedAt = performance.now();
    const session = agent.sandbox.session(sessionId);
    try {
      const output = await runAgentTool(name as AgentToolName, body.data.input, {
        sandbox: agent.sandbox,
        sessionId,
        subscribeLifecycle: (identifier, listener) => agent.lifecycle.subscribe(identifier, listener),
        weather: deps.weather,
        onLifecycle: (_callId, event) => {
          lifecycle.push(event);
          timeline.add(event);
        },
      });
      return c.json({
        tool: name,
        status: toolFailed(output) ? 'error' : 'success',
        sandboxType: output.sandboxType,
        text: output.text,
        data: output.data ?? null,
        images: output.images.map((image) => ({ fileName: image.fileName, mediaType: image.mediaType, url: `data:${image.mediaType};base64,${image.base64}` })),
        lifecycle,
        timeline: timeline.steps,
        durationMs: Math.round(performance.now() - startedAt),
      });
    } finally {
      await session.close().catch(() => undefined);
    }
  });
}
