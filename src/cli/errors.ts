/** Turns any failure into a short message and an exit code; never prints our own stack traces. */
import { CommanderError } from 'commander';
import { isSandboxError } from '../errors.js';
import { EXIT_FAILURE, EXIT_USAGE, type CliContext } from './context.js';

const USAGE_CODES = new Set(['configuration', 'invalid_input', 'unsupported_language']);

export function reportError(error: unknown, context: CliContext): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  if (isSandboxError(error)) {
    context.stderr.write(`Error: ${error.message}\n`);
    return USAGE_CODES.has(error.code) ? EXIT_USAGE : EXIT_FAILURE;
  }
  const message = error instanceof Error ? error.message : String(error);
  context.stderr.write(`Error: ${message}\nIf this looks like a problem with the machine, run \`npx tidepool doctor\`.\n`);
  return EXIT_FAILURE;
}
