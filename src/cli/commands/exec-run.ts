/**
 * What `tidepool exec` does once its flags are parsed (loaded only when the command runs). It
 * imports the public modules the root entry re-exports one by one, so that it loads only what it runs.
 */
import { readFile } from 'node:fs/promises';
import type { ExecutionResult, Language } from '../../index.js';
import { InvalidInputError, isSandboxError } from '../../errors.js';
import { describeCellTimeout, isImageResult } from '../../sandbox/execution.js';
import { resolveLanguage } from '../../sandbox/languages.js';
import type { CliContext } from '../context.js';
import { cliLifecycleListener } from '../lifecycle-output.js';
import { openCliSandbox } from '../sandbox-choice.js';
import type { ExecOptions } from './exec.js';

/** Runs the cell; true when it succeeded. */
export async function runExec(code: string | undefined, options: ExecOptions, context: CliContext): Promise<boolean> {
  const language = languageFlag(options.language);
  const source = await readCode(code, options.file);
  const { sandbox, keepsSessions } = await openCliSandbox(options.sandbox, context, { language, onLifecycle: await cliLifecycleListener(context.stderr, context.env) });
  try {
    if (options.session !== undefined && !keepsSessions) {
      context.stderr.write(
        `Session "${options.session}" ends when this command does: ${sandbox.type} does not keep it afterwards. ` +
          'To reuse it from later commands, start the local pool first (`npx tidepool pool start`) and use --sandbox pool.\n',
      );
    }
    const session = sandbox.session(options.session);
    const result = await session.execute(source, { language, timeoutMs: options.timeoutMs, signal: context.shutdownSignal });
    if (options.json) context.stdout.write(`${JSON.stringify({ identifier: session.identifier, ...result }, null, 2)}\n`);
    else printResult(result, context);
    return result.status === 'success';
  } catch (error) {
    if (isSandboxError(error)) error.message = withFlagNames(error.message);
    throw error;
  } finally {
    // A named session on a remote pool outlives this command, so it can be reused; ours end here.
    await sandbox.close();
  }
}

function languageFlag(value: string): Language {
  try {
    return resolveLanguage(value);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new InvalidInputError(`--language: ${error.message}`);
    throw error;
  }
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
  const images = result.images.length > 0 ? result.images : isImageResult(result.result) ? [result.result] : [];
  for (const image of images) {
    context.stdout.write(`[image: ${image.format}, ${Math.round((image.base64_data.length * 3) / 4)} bytes; use --json to get the data]\n`);
  }
  if (result.result !== null && !isImageResult(result.result) && result.result !== '') {
    context.stdout.write(`${typeof result.result === 'string' ? result.result : JSON.stringify(result.result)}\n`);
  }
  const stderr = stderrText(result);
  if (stderr) context.stderr.write(stderr);
}

/** The library's option names, as this command's flags. */
export function withFlagNames(message: string): string {
  return message.replace(/\btimeoutMs\b/g, '--timeout-ms');
}

/**
 * The cell's stderr, then its error, each once: a traceback some backends also leave at the end of
 * stderr is not repeated, and a timeout is said in terms of this command's flag.
 */
export function stderrText(result: ExecutionResult): string {
  const { error } = result;
  if (!error) return result.stderr;
  const stderr = result.stderr && !result.stderr.endsWith('\n') ? `${result.stderr}\n` : result.stderr;
  const errorLine = `${error.type}: ${error.timeoutMs !== undefined ? describeCellTimeout(error, '--timeout-ms') : error.message}`;
  const traceback = error.traceback.trim();
  if (!traceback) return stderr.includes(errorLine) ? stderr : `${stderr}${errorLine}\n`;
  if (stderr.includes(traceback)) return stderr;
  return `${stderr}${traceback}\n${traceback.includes(error.message) ? '' : `${errorLine}\n`}`;
}
