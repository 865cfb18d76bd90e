/** `tidepool/agent`: the travel agents, their model configuration and store, and the AI SDK tool adapters. */
export { TravelAgents, agentId, type AgentInfo, type TravelAgent, type TravelAgentsOptions } from './travel-agents.js';
export { resolveModelSetup, MODEL_SETUP_HELP, DEFAULT_OPENAI_MODEL, type ModelConfig, type ModelSetup } from './model-config.js';
export { createLanguageModel } from './language-model.js';
export { ConversationStore, type ConversationSummary } from './conversation-store.js';
export { resolveDbPath } from './db-path.js';
export { runTurn, type TurnOptions, type TurnOutcome } from './run-turn.js';
export type { AgentEvent, DisplayMessage, MessagePart, ToolCallView, ImageRef } from './types.js';
export { createAiSdkTools, runAgentTool, TOOL_NAMES, type AiSdkToolBinding, type AiSdkToolOutput, type AgentToolName } from '../tools/ai-sdk.js';
