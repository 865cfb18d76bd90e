/**
 * Recovers `{type, message, traceback}` from a failed execution's stderr. Neither API generation
 * has a structured error field for user exceptions: Azure (an IPython kernel, with ANSI colours)
 * and the Tidepool pool both put the formatted traceback in stderr.
 */
import type { ExecutionErrorInfo } from '../../types.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
/** `ValueError: bad value`, `json.decoder.JSONDecodeError: …`, or a bare `KeyboardInterrupt`. */
const EXCEPTION_LINE = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?::\s?(.*))?$/;
const EXCEPTION_NAME = /(Error|Exception|Exit|Interrupt|Warning|StopIteration|StopAsyncIteration)$/;
/** Plain CPython header, or IPython's `NameError      Traceback (most recent call last)`. */
const HEADER = /Traceback \(most recent call last\)/;

export function parseTraceback(stderr: string): ExecutionErrorInfo | undefined {
  return splitTraceback(stderr)?.error;
}

/**
 * The exception at the end of a failed execution's stderr, and what the code wrote before it.
 * Both API generations append the traceback to stderr; the contract carries it once, in `error`.
 */
export function splitTraceback(stderr: string): { error: ExecutionErrorInfo; written: string } | undefined {
  const text = stderr.replace(ANSI, '');
  const lines = text.replace(/\s+$/, '').split('\n');
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const line = lines[index]!;
    const match = EXCEPTION_LINE.exec(line);
    if (!match || !EXCEPTION_NAME.test(match[1]!)) continue;
    const type = match[1]!.split('.').pop()!;
    // A multi-line message continues below the exception line (e.g. a long assertion message).
    const message = [match[2] ?? '', ...lines.slice(index + 1)].join('\n').trim();
    const start = tracebackStart(lines, index);
    // ANSI escapes never span a newline, so line numbers match the text as sent.
    const written = stderr.split('\n').slice(0, start);
    return {
      error: { type, message, traceback: `${lines.slice(start).join('\n')}\n` },
      written: written.length > 0 ? `${written.join('\n')}\n` : '',
    };
  }
  return undefined;
}

/** The traceback begins at the last header before the exception line (or IPython's dashed rule above it). */
function tracebackStart(lines: string[], exceptionIndex: number): number {
  for (let index = exceptionIndex; index >= 0; index -= 1) {
    if (!HEADER.test(lines[index]!)) continue;
    return index > 0 && /^-{10,}$/.test(lines[index - 1]!.trim()) ? index - 1 : index;
  }
  // No header (a SyntaxError raised while compiling): keep the indented / `File` lines just above.
  let start = exceptionIndex;
  while (start > 0 && /^(\s+|\s*File ")/.test(lines[start - 1]!)) start -= 1;
  return start;
}

/** The error to report when a failed status came with nothing recognisable in stderr (which stays as sent). */
export function unparsedFailure(status: string, stderr: string): ExecutionErrorInfo {
  const lastLine = stderr.replace(ANSI, '').trim().split('\n').pop()?.trim();
  return {
    type: 'ExecutionFailed',
    message: lastLine || `The service reported status "${status}" without an error message.`,
    traceback: '',
  };
}
