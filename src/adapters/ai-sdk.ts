/**
 * `tidepool/ai-sdk`: research_weather, chart_weather and the code tools (run_python, run_javascript,
 * run_shell, each where the sandbox runs its language) as Vercel AI SDK tools bound to
 * one sandbox session. The tools themselves live in src/tools/ai-sdk.ts (the travel agent uses the
 * same ones); this entry only exposes them without the rest of `tidepool/agent`.
 */
export { createAiSdkTools, runAgentTool, modelText, toolNamesFor, TOOL_NAMES, CODE_TOOL_NAMES, type AgentToolName, type AiSdkToolBinding, type AiSdkToolOutput, type ToolImage } from '../tools/ai-sdk.js';
