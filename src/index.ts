/**
 * Tidepool's public API, root entry (`tidepool`): the sandbox contract, its backends and the agent
 * tools. It stays light so that importing it is fast; the heavier parts have entries of their own:
 * `tidepool/agent` (travel agents, AI SDK tool adapters), `tidepool/web` (the web UI server),
 * `tidepool/pool` (the session pool server), `tidepool/bench` (benchmarks) and `tidepool/system`
 * (machine checks).
 */
export type * from './sandbox/types.js';
export * from './errors.js';
export { createSandbox, type CreateSandboxOptions } from './sandbox/factory.js';
export { instrumentSandbox } from './sandbox/instrumentation.js';
export { resolveSandboxType, sandboxAlias, SANDBOX_TYPES } from './sandbox/names.js';
export { LANGUAGES, resolveLanguage } from './sandbox/languages.js';
export { formatLifecycleLine, SessionLifecycle, type LifecycleEvent, type LifecyclePhase, type LifecycleListener } from './sandbox/lifecycle.js';
export { DEFAULT_TIMEOUT_MS, isImageResult } from './sandbox/execution.js';
export { createLocalSandbox, LocalSandbox, type LocalSandboxOptions } from './sandbox/backends/local/local-sandbox.js';
export { createE2BSandbox, E2BSandbox, type E2BSandboxOptions } from './sandbox/backends/e2b/e2b-sandbox.js';
export { createDaytonaSandbox, DaytonaSandbox, type DaytonaSandboxOptions } from './sandbox/backends/daytona/daytona-sandbox.js';
export { createAcaSandbox, ACA_BANNER, AcaClient, RemoteSandbox, SUPPORTED_ACA_API_VERSIONS, DEFAULT_ACA_API_VERSION, type AcaSandboxOptions, type AcaClientOptions } from './sandbox/backends/aca/index.js';
export { createPoolSandbox, POOL_BANNER, type PoolSandboxOptions } from './sandbox/backends/pool/index.js';
export { resolvePythonPath, DEFAULT_PYTHON } from './config/python.js';
export { isLoopback } from './config/network.js';
export {
  runPython,
  runPythonInputSchema,
  runJavaScript,
  runJavaScriptInputSchema,
  runShell,
  runShellInputSchema,
  type RunPythonInput,
  type RunPythonOutput,
  type RunJavaScriptInput,
  type RunShellInput,
  type RunCodeOutput,
} from './tools/run-code.js';
export * from './tools/index.js';
export { parseTravelDates, DATE_EXAMPLES, type TravelDates } from './weather/dates.js';
export { parsePlaces, type PlaceQuery } from './weather/places.js';
export { resolveOpenMeteoSettings, OPEN_METEO_DEFAULTS, type OpenMeteoOptions, type OpenMeteoSettings } from './weather/settings.js';
