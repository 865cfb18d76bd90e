/**
 * The `tidepool` command line. One file per command under commands/; each registers itself here.
 * Registering is cheap: a command loads what it runs (sandboxes, servers, agents) only in its action,
 * so `--help` and quick commands do not pay for the rest. Only this entry point decides exit codes;
 * commands set `context.exitCode`.
 */
import { Command } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { registerBench } from './commands/bench.js';
import { registerCompare } from './commands/compare.js';
import { registerDoctor } from './commands/doctor.js';
import { registerExec } from './commands/exec.js';
import { registerMcp } from './commands/mcp.js';
import { registerPool } from './commands/pool-serve.js';
import { registerResearch } from './commands/research.js';
import { registerServe } from './commands/serve.js';
import { registerSetup } from './commands/setup.js';
import type { CliContext } from './context.js';
import { reportError } from './errors.js';

type Register = (program: Command, context: CliContext) => void;

const COMMANDS: Register[] = [
  registerResearch,
  registerCompare,
  registerExec,
  registerDoctor,
  registerSetup,
  registerBench,
  registerPool,
  registerServe,
  registerMcp,
];

export function buildProgram(context: CliContext): Command {
  const program = new Command('tidepool')
    .description('Run AI-agent tool code in sandboxes: one contract over Local, the Tidepool pool, Azure Container Apps, E2B and Daytona.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    });
  for (const register of COMMANDS) register(program, context);
  return program;
}

export interface MainOptions {
  stdout?: CliContext['stdout'];
  stderr?: CliContext['stderr'];
  env?: CliContext['env'];
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  if (!options.env) loadDotenv({ quiet: true });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const context: CliContext = {
    stdout: options.stdout ?? process.stdout,
    stderr: options.stderr ?? process.stderr,
    env: options.env ?? process.env,
    exitCode: 0,
    shutdownSignal: controller.signal,
  };
  let telemetry: { shutdown(): Promise<void> } | undefined;
  try {
    // The OpenTelemetry SDK loads only when an endpoint is configured; otherwise spans are the API's no-ops.
    if (context.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) telemetry = await (await import('../telemetry/otlp.js')).startTelemetryFromEnv(context.env);
    await buildProgram(context).parseAsync(argv);
    return context.exitCode;
  } catch (error) {
    return reportError(error, context);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await telemetry?.shutdown();
  }
}
