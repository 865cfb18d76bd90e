/** `tidepool/agent`: the travel agents, their model configuration and store, and the AI SDK tool adapters. */
export { TravelAgents, agentId, type AgentInfo, type TravelAgent, type TravelAgentsOptions } from './travel-agents.js';
export { resolveModelSetup, MODEL_SETUP_HELP, DEFAULT_OPENAI_MODEL, type ModelConfig, type ModelSetup } from './model-config.js';
export { createLanguageModel } from './language-model.js';
export { ConversationStore, type ConversationSummary } from './conversation-store.js';
export { resolveDbPath } from './db-path.js';
export { runTurn, DEFAULT_MODEL_TIMEOUT_MS, type TurnOptions, type TurnOutcome } from './run-turn.js';
export { resolveModelTimeoutMs, MODEL_TIMEOUT_ENV } from './model-timeout.js';
export { SessionContinuity, SESSION_RESET_NOTICE, KERNEL_RESTART_NOTICE } from './session-continuity.js';
export { MAX_MESSAGE_CHARS, MAX_HISTORY_MESSAGES, MAX_HISTORY_CHARS, MAX_BODY_BYTES, messageProblem, historyProblem } from './input-limits.js';
export type { AgentEvent, DisplayMessage, MessagePart, ToolCallView, TimelineStep, ImageRef } from './types.js';
export { createAiSdkTools, runAgentTool, TOOL_NAMES, type AiSdkToolBinding, type AiSdkToolOutput, type AgentToolName } from '../tools/ai-sdk.js';
