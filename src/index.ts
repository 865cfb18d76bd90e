/** Tidepool's public API. The CLI and the web server import only from here. */
export type * from './sandbox/types.js';
export * from './sandbox/errors.js';
export { createSandbox, type CreateSandboxOptions } from './sandbox/factory.js';
export { resolveSandboxType, sandboxAlias, SANDBOX_TYPES } from './sandbox/names.js';
export { formatLifecycleLine, SessionLifecycle, type LifecycleEvent, type LifecyclePhase, type LifecycleListener } from './sandbox/lifecycle.js';
export { DEFAULT_TIMEOUT_MS, isImageResult } from './sandbox/execution.js';
export { createLocalSandbox, LocalSandbox, type LocalSandboxOptions } from './sandbox/backends/local/local-sandbox.js';
export { createE2BSandbox, E2BSandbox, type E2BSandboxOptions } from './sandbox/backends/e2b/e2b-sandbox.js';
export { createDaytonaSandbox, DaytonaSandbox, type DaytonaSandboxOptions } from './sandbox/backends/daytona/daytona-sandbox.js';
export { createAcaSandbox, ACA_BANNER, AcaClient, RemoteSandbox, SUPPORTED_ACA_API_VERSIONS, DEFAULT_ACA_API_VERSION, type AcaSandboxOptions, type AcaClientOptions } from './sandbox/backends/aca/index.js';
export { createPoolSandbox, POOL_BANNER, type PoolSandboxOptions } from './sandbox/backends/pool/index.js';
export { resolvePythonPath, DEFAULT_PYTHON } from './config/python.js';
export { runChecks, type CheckResult } from './system/checks.js';
export { runBenchmarks, SUITES as BENCH_SUITES } from './bench/run.js';
export type { Metric, Metrics, BenchSuite } from './bench/types.js';
export { startWebServer, isLoopback, DEFAULT_WEB_HOST, DEFAULT_WEB_PORT, type WebServerOptions, type RunningWebServer } from './web/server.js';
export { TravelAgents, agentId, type AgentInfo, type TravelAgent, type TravelAgentsOptions } from './agent/travel-agents.js';
export { resolveModelSetup, MODEL_SETUP_HELP, DEFAULT_OPENAI_MODEL, type ModelConfig, type ModelSetup } from './agent/model-config.js';
export { createLanguageModel } from './agent/language-model.js';
export { ConversationStore, type ConversationSummary } from './agent/conversation-store.js';
export { resolveDbPath } from './agent/db-path.js';
export { runTurn, type TurnOptions, type TurnOutcome } from './agent/run-turn.js';
export type { AgentEvent, DisplayMessage, MessagePart, ToolCallView, ImageRef } from './agent/types.js';
export { runPython, runPythonInputSchema, type RunPythonInput, type RunPythonOutput } from './tools/run-python.js';
export { createAiSdkTools, runAgentTool, TOOL_NAMES, type AiSdkToolBinding, type AiSdkToolOutput, type AgentToolName } from './tools/ai-sdk.js';
export * from './tools/index.js';
export { compareWeatherBackends, type CompareBackendsOptions, type ComparisonReport, type BackendResult, type TimingStats } from './tools/weather-compare.js';
export { costPerSecondUsd, costEnvName, DEFAULT_COST_PER_SECOND_USD } from './tools/cost-rates.js';
export { parseTravelDates, DATE_EXAMPLES, type TravelDates } from './weather/dates.js';
export { parsePlaces, type PlaceQuery } from './weather/places.js';
export { resolveOpenMeteoSettings, OPEN_METEO_DEFAULTS, type OpenMeteoOptions, type OpenMeteoSettings } from './weather/settings.js';
export {
  startPoolServer,
  resolvePoolSettings,
  isLoopbackHost,
  PoolError,
  DEFAULT_POOL_SETTINGS,
  API_VERSIONS,
  type PoolServerOptions,
  type RunningPoolServer,
  type PoolSettings,
  type IsolationMode,
} from './pool/index.js';
