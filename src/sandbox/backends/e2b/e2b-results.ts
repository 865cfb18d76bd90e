/**
 * Turns an E2B `Execution` (Jupyter's view of a cell) into the contract's result, so a tool sees
 * the same kinds of values it would get from Local: typed scalars, strings, repr text, images.
 */
import { capOutput } from '../../output-cap.js';
import type { CellResult, ExecutionResult, ImageResult } from '../../types.js';
import type { E2BExecution, E2BResult } from './e2b-sdk.js';

/** The contract's result but for its duration, which the session measures. */
export type MappedCell = Omit<ExecutionResult, 'durationMs'>;

/** How the kernel of the cell's language writes values as text. */
export type ValueSyntax = 'python' | 'javascript';

export function mapExecution(execution: E2BExecution, outputLimitBytes: number, syntax: ValueSyntax = 'python'): MappedCell {
  const images = picturesOf(execution.results);
  const stdout = capOutput(execution.logs.stdout.join(''), outputLimitBytes);
  const stderr = capOutput(execution.logs.stderr.join(''), outputLimitBytes);
  if (execution.error) {
    const error = { type: execution.error.name, message: execution.error.value, traceback: stripAnsi(execution.error.traceback ?? '') };
    return { status: 'failure', stdout, stderr, result: null, images, error };
  }
  return { status: 'success', stdout, stderr, result: cellResult(execution.results, images, syntax), images };
}

/**
 * A bash cell's outcome: E2B's bash kernel reports a command that exited non-zero as an error whose
 * value is the exit code; any other error (or a value that is not an exit status, 1 to 255) counts as exit code 1.
 */
export function shellExitCode(execution: E2BExecution): number {
  if (!execution.error) return 0;
  const value = execution.error.value.trim();
  const code = /^\d{1,3}$/.test(value) ? Number(value) : 0;
  return code >= 1 && code <= 255 ? code : 1;
}

/**
 * The main result's value; `null` when there is none or when it is shown as a picture (an image,
 * or a figure or matplotlib artists as the last line), since every picture is in `images` already.
 */
function cellResult(results: E2BResult[], images: ImageResult[], syntax: ValueSyntax): CellResult {
  const main = results.find((result) => result.isMainResult);
  if (!main || imageOf(main) || main.text === undefined) return null;
  if (syntax === 'javascript') return javascriptTextToValue(main.text);
  if (images.length > 0 && isPlotArtistText(main.text)) return null;
  return pythonTextToValue(main.text);
}

/**
 * A JavaScript kernel's text/plain is Node's inspect output: `true`, `42`, `'text'`. Plain scalars
 * become JSON-native values; `undefined`, `null` and anything else stay as Python's rules read them.
 */
export function javascriptTextToValue(text: string): CellResult {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'undefined' || text === 'null') return null;
  return pythonTextToValue(text);
}

/**
 * Every picture once, in order. Jupyter's inline backend shows a figure that is the last
 * expression twice (as the value, and again as an open figure when the cell ends): the value's
 * copy is dropped when an identical display is there.
 */
function picturesOf(results: E2BResult[]): ImageResult[] {
  const shown = results.map((result) => ({ result, image: imageOf(result) }));
  return shown
    .filter(({ result, image }) => image && !(result.isMainResult && shown.some((other) => other.result !== result && other.image?.base64_data === image.base64_data)))
    .map(({ image }) => image!);
}

function imageOf(result: E2BResult): ImageResult | undefined {
  if (result.png) return { type: 'image', format: 'png', base64_data: result.png };
  if (result.jpeg) return { type: 'image', format: 'jpeg', base64_data: result.jpeg };
  if (result.svg) return { type: 'image', format: 'svg', base64_data: Buffer.from(result.svg, 'utf8').toString('base64') };
  return undefined;
}

function isPlotArtistText(text: string): boolean {
  return /^\[?<(matplotlib\.|Figure size )/.test(text.trim());
}

const INTEGER = /^-?\d+$/;

/**
 * Jupyter's text/plain is Python's repr. Plain scalars become JSON-native values (as the Local
 * kernel sends them): ints within 2^53, finite floats, True/False, str literals decoded. Anything
 * else (dicts, lists, nan, big ints, objects) stays the repr text, as a notebook shows it.
 */
export function pythonTextToValue(text: string): CellResult {
  if (text === 'True') return true;
  if (text === 'False') return false;
  if (text === 'None') return null;
  if (INTEGER.test(text)) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : text;
  }
  if (/^-?(\d+\.\d*|\.\d+|\d+)(e[+-]?\d+)?$/i.test(text)) {
    const value = Number(text);
    return Number.isFinite(value) ? value : text;
  }
  return decodePythonString(text) ?? text;
}

const SINGLE_QUOTED = /^'((?:[^'\\]|\\.)*)'$/s;
const DOUBLE_QUOTED = /^"((?:[^"\\]|\\.)*)"$/s;
const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v' };

/** Decodes a Python `str` repr (`'a\nb'`); undefined when the text is not exactly one such literal. */
export function decodePythonString(text: string): string | undefined {
  const body = (SINGLE_QUOTED.exec(text) ?? DOUBLE_QUOTED.exec(text))?.[1];
  if (body === undefined) return undefined;
  let valid = true;
  const decoded = body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/gs, (_match, escape: string) => {
    if (escape.length > 1) return String.fromCodePoint(Number.parseInt(escape.slice(1), 16));
    const simple = SIMPLE_ESCAPES[escape];
    if (simple === undefined) valid = false;
    return simple ?? '';
  });
  return valid ? decoded : undefined;
}

/** Jupyter colours tracebacks with ANSI escapes; tools and terminals want plain text. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}
