/**
 * What a kernel may answer, and how large an answer may be. The kernel runs user code, which
 * can write into the protocol socket: a frame that is too large, not JSON, or not shaped like
 * the answer the client is waiting for means the kernel is compromised, and it is ended.
 */
import type { KernelImage, KernelResponse, KernelWireError, ShellResponse } from './types.js';

/** Per-stream cap on a cell's stdout and stderr (the kernel drops the rest and says so). */
export const DEFAULT_OUTPUT_LIMIT_BYTES = 1024 * 1024;

/**
 * The kernel's own caps (python/tidepool_kernel.py, its --result-limit-bytes and serve()
 * arguments): the text of a result, its repr, an error message and a traceback are each cut
 * at the result limit; one image may be 4 MiB and a cell's images 8 MiB (base64).
 */
export const DEFAULT_RESULT_LIMIT_BYTES = 1024 * 1024;
export const KERNEL_IMAGE_LIMIT_BYTES = 4 * 1024 * 1024;
export const KERNEL_CELL_IMAGES_LIMIT_BYTES = 8 * 1024 * 1024;
/** Field names, numbers, and the notes the kernel adds when it cuts something. */
const RESPONSE_OVERHEAD_BYTES = 1024 * 1024;

/**
 * The largest response frame a client accepts, derived from the caps the kernel applies:
 * - two output streams, each up to `outputLimitBytes` of raw bytes; JSON escaping (quotes,
 *   backslashes, newlines) can double typical text, so each stream counts twice;
 * - two result texts (result and repr, or an error's message and traceback), each up to
 *   `resultLimitBytes`, also counted twice for escaping;
 * - a cell's images, plus one more because an image result repeats the last image;
 * - a fixed overhead.
 * The client sends this number with every cell and the kernel shrinks its answer to fit (cutting
 * hostile escape-heavy text further), so only a compromised kernel ever exceeds it. With the
 * defaults it is 21 MiB: a few megabytes of JSON.parse, where an uncapped frame of hundreds of
 * megabytes stalled every session of the server and could run it out of heap.
 */
export function maxResponseBytes(outputLimitBytes: number, resultLimitBytes: number = DEFAULT_RESULT_LIMIT_BYTES): number {
  return 4 * outputLimitBytes + 4 * resultLimitBytes + KERNEL_CELL_IMAGES_LIMIT_BYTES + KERNEL_IMAGE_LIMIT_BYTES + RESPONSE_OVERHEAD_BYTES;
}

/**
 * Reading an answer: each reader checks a frame field by field and builds a fresh object of the
 * known fields only, so nothing a compromised kernel adds (a `timedOut` or `stateLost` of its own,
 * a `__proto__` key) reaches the caller. A field of the wrong type throws a ProtocolShapeError
 * naming it. Hand-written rather than a schema library: a busy pool reads thousands of answers a
 * second, and a generic validator cost several percent of its time.
 */
export class ProtocolShapeError extends Error {
  constructor(path: string, expected: string, value: unknown) {
    super(`${path}: expected ${expected}, got ${describeValue(value)}`);
    this.name = 'ProtocolShapeError';
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ProtocolShapeError(path, 'a string', value);
  return value;
}

function nullableString(value: unknown, path: string): string | null {
  return value === null ? null : string(value, path);
}

function number(value: unknown, path: string): number {
  if (typeof value !== 'number') throw new ProtocolShapeError(path, 'a number', value);
  return value;
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new ProtocolShapeError(path, 'a boolean', value);
  return value;
}

const IMAGE_FORMATS: ReadonlySet<string> = new Set(['png', 'jpeg', 'svg']);

function image(value: unknown, path: string): KernelImage {
  if (!isRecord(value)) throw new ProtocolShapeError(path, 'an image object', value);
  if (value.type !== 'image') throw new ProtocolShapeError(`${path}.type`, '"image"', value.type);
  const format = string(value.format, `${path}.format`);
  if (!IMAGE_FORMATS.has(format)) throw new ProtocolShapeError(`${path}.format`, 'png, jpeg or svg', format);
  return { type: 'image', format: format as KernelImage['format'], base64_data: string(value.base64_data, `${path}.base64_data`) };
}

function images(value: unknown, path: string): KernelImage[] {
  if (!Array.isArray(value)) throw new ProtocolShapeError(path, 'an array', value);
  return value.map((item, index) => image(item, `${path}.${index}`));
}

/** A cell's value: a JSON-native scalar, its repr text, or an image. */
function result(value: unknown, path: string): KernelResponse['result'] {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (isRecord(value)) return image(value, path);
  throw new ProtocolShapeError(path, 'a string, number, boolean, null or image', value);
}

function error(value: unknown, path: string): KernelWireError | null {
  if (value === null) return null;
  if (!isRecord(value)) throw new ProtocolShapeError(path, 'an error object or null', value);
  return { type: string(value.type, `${path}.type`), message: string(value.message, `${path}.message`), traceback: string(value.traceback, `${path}.traceback`) };
}

/** One executed cell as the kernel reports it (python/tidepool_kernel.py, Kernel.execute). */
export function readExecuteResponse(frame: Record<string, unknown>): KernelResponse {
  const status = frame.status;
  if (status !== 'success' && status !== 'failure') throw new ProtocolShapeError('status', '"success" or "failure"', status);
  return {
    status,
    stdout: string(frame.stdout, 'stdout'),
    stderr: string(frame.stderr, 'stderr'),
    // False when the cell had no last expression to show.
    hasResult: boolean(frame.hasResult, 'hasResult'),
    result: result(frame.result, 'result'),
    // The value's text form as a notebook shows it, when there is a value.
    repr: nullableString(frame.repr, 'repr'),
    images: images(frame.images, 'images'),
    error: error(frame.error, 'error'),
    durationMs: number(frame.durationMs, 'durationMs'),
  };
}

/** One shell execution (Shell session pools) as the kernel reports it. */
export function readShellResponse(frame: Record<string, unknown>): ShellResponse {
  // The command's exit status as bash reports it (128 + N when killed by signal N).
  const exitCode = frame.exitCode;
  if (typeof exitCode !== 'number' || !Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
    throw new ProtocolShapeError('exitCode', 'an integer from 0 to 255', exitCode);
  }
  return {
    exitCode,
    stdout: string(frame.stdout, 'stdout'),
    stderr: string(frame.stderr, 'stderr'),
    // Set only when the host's interrupt stopped the command.
    error: error(frame.error, 'error'),
    durationMs: number(frame.durationMs, 'durationMs'),
  };
}

/** The answer to a ping: the kernel has started and is idle. */
export function readPong(frame: Record<string, unknown>): true {
  if (frame.pong !== true) throw new ProtocolShapeError('pong', 'true', frame.pong);
  return true;
}
