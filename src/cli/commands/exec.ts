/** `tidepool exec`: run one cell in a sandbox and print what it produced. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { createSandbox, InvalidInputError, isImageResult, type ExecutionResult } from '../../index.js';
import { EXIT_FAILURE, EXIT_OK, type CliContext } from '../context.js';
import { cliLifecycleListener } from '../lifecycle-output.js';
import { positiveNumber } from '../options.js';

interface ExecOptions {
  sandbox: string;
  session?: string;
  timeoutMs?: number;
  file?: string;
  json?: boolean;
}

export function registerExec(program: Command, context: CliContext): void {
  program
    .command('exec')
    .description('Run Python code in a sandbox session and print stdout, stderr and the result (exit 1 if the code raised)')
    .argument('[code]', 'Python source; "-" reads it from standard input')
    .option('-s, --sandbox <name>', 'local, pool, aca, e2b or daytona (or a full name such as Sandbox-ACA)', 'pool')
    .option('--session <id>', 'session identifier to reuse; a new random one when omitted')
    .option('--timeout-ms <n>', 'per-execution timeout in milliseconds (default 220000)', positiveNumber('--timeout-ms'))
    .option('-f, --file <path>', 'read the code from a file instead of the argument')
    .option('--json', 'print the whole result as JSON')
    .action(async (code: string | undefined, options: ExecOptions) => {
      const source = await readCode(code, options.file);
      const sandbox = createSandbox(options.sandbox, { env: context.env, onLifecycle: cliLifecycleListener(context.stderr, context.env) });
      try {
        const session = sandbox.session(options.session);
        const result = await session.execute(source, { timeoutMs: options.timeoutMs, signal: context.shutdownSignal });
        if (options.json) context.stdout.write(`${JSON.stringify({ identifier: session.identifier, ...result }, null, 2)}\n`);
        else printResult(result, context);
        context.exitCode = result.status === 'success' ? EXIT_OK : EXIT_FAILURE;
      } finally {
        // A named session on a remote pool outlives this command, so it can be reused; ours end here.
        await sandbox.close();
      }
    });
}

async function readCode(code: string | undefined, file: string | undefined): Promise<string> {
  if (file !== undefined && code !== undefined) throw new InvalidInputError('Pass the code either as an argument or with --file, not both.');
  let bytes: Buffer;
  if (file !== undefined) {
    bytes = await readFile(file).catch((error: Error) => {
      throw new InvalidInputError(`Cannot read ${file}: ${error.message}`);
    });
  } else if (code === '-') {
    bytes = await readStdin();
  } else if (code !== undefined) {
    return code;
  } else {
    throw new InvalidInputError('No code given. Example: tidepool exec "print(6 * 7)"  (or --file script.py, or - for standard input)');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidInputError(`${file ?? 'standard input'} is not UTF-8 text; save it as UTF-8 and try again.`);
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function printResult(result: ExecutionResult, context: CliContext): void {
  if (result.stdout) context.stdout.write(result.stdout);
  if (result.stderr) context.stderr.write(result.stderr);
  const images = result.images.length > 0 ? result.images : isImageResult(result.result) ? [result.result] : [];
  for (const image of images) {
    context.stdout.write(`[image: ${image.format}, ${Math.round((image.base64_data.length * 3) / 4)} bytes; use --json to get the data]\n`);
  }
  if (result.result !== null && !isImageResult(result.result) && result.result !== '') {
    context.stdout.write(`${typeof result.result === 'string' ? result.result : JSON.stringify(result.result)}\n`);
  }
  if (result.error) context.stderr.write(result.error.traceback || `${result.error.type}: ${result.error.message}\n`);
  if (result.error && result.error.traceback && !result.error.traceback.includes(result.error.message)) {
    context.stderr.write(`${result.error.type}: ${result.error.message}\n`);
  }
}
