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
export { resolvePythonPath, DEFAULT_PYTHON } from './config/python.js';
export { runChecks, type CheckResult } from './system/checks.js';
export { runBenchmarks, SUITES as BENCH_SUITES } from './bench/run.js';
export type { Metric, Metrics, BenchSuite } from './bench/types.js';
