/**
 * What a kernel may answer, and how large an answer may be. The kernel runs user code, which
 * can write into the protocol socket: a frame that is too large, not JSON, or not shaped like
 * the answer the client is waiting for means the kernel is compromised, and it is ended.
 */
import { z } from 'zod';

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

export const imageSchema = z.object({
  type: z.literal('image'),
  format: z.enum(['png', 'jpeg', 'svg']),
  base64_data: z.string(),
});

/** One executed cell as the kernel reports it; the types in ./types.ts are derived from this. */
export const executeResponseSchema = z.object({
  id: z.number(),
  status: z.enum(['success', 'failure']),
  stdout: z.string(),
  stderr: z.string(),
  // False when the cell had no last expression to show.
  hasResult: z.boolean(),
  // JSON-native scalar, repr text, or an image.
  result: z.union([z.string(), z.number(), z.boolean(), z.null(), imageSchema]),
  // The value's text form as a notebook shows it, when there is a value.
  repr: z.string().nullable(),
  images: z.array(imageSchema),
  error: z.object({ type: z.string(), message: z.string(), traceback: z.string() }).nullable(),
  durationMs: z.number(),
});

/** One shell execution (Shell session pools) as the kernel reports it. */
export const shellResponseSchema = z.object({
  id: z.number(),
  // The command's exit status as bash reports it (128 + N when killed by signal N).
  exitCode: z.number().int().min(0).max(255),
  stdout: z.string(),
  stderr: z.string(),
  // Set only when the host's interrupt stopped the command.
  error: z.object({ type: z.string(), message: z.string(), traceback: z.string() }).nullable(),
  durationMs: z.number(),
});

export const pongSchema = z.object({ id: z.number(), pong: z.literal(true) });

/** A short account of why a frame failed its schema, for the error that ends the kernel. */
export function describeSchemaError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'frame'}: ${issue.message}`)
    .join('; ');
}
