/**
 * Turns a Shell pool's execution request into what the runtime needs: a bash command or an
 * argument vector, optional stdin, an effective timeout and the output options. Python fields
 * are refused as the service refuses them on Shell pools (400), so a client sending a Python
 * body to the wrong pool learns so at once.
 */
import type { ShellRequest } from '../../kernel/types.js';
import type { PoolSettings } from '../types.js';
import { PoolApiError, validationError } from './errors.js';
import type { ExecutionFields } from './validation.js';

export interface ShellPlan {
  request: ShellRequest;
  /** The clamped timeout in seconds (client's timeoutInSeconds, at most settings.maxExecutionSeconds). */
  timeoutSeconds: number;
  timeoutMs: number;
  /** Characters kept per stream (outputStreamsMaxLength); undefined keeps everything up to the pool's byte cap. */
  outputMaxLength: number | undefined;
}

/** Fields of Python (code-interpreter) executions; a Shell pool has no use for them. */
const PYTHON_FIELDS = ['code', 'pythonCode', 'codeInputType', 'executionType', 'useEmptyKernel', 'returnJupyterFormatExecutionResult', 'returnJupyterFormat'] as const;
/** Far above any real argument list; keeps one request from asking for an absurd exec. */
const MAX_ARGS = 4096;

function notSupported(message: string, target: string): PoolApiError {
  return new PoolApiError(400, 'SessionRequestNotSupported', message, { target });
}

/** The error every Python execution route answers on a Shell pool. */
export function pythonOnShellPool(field: string): PoolApiError {
  return notSupported(
    `"${field}" is for code-interpreter (Python or NodeLTS) session pools; this pool runs Shell sessions (--container-type shell). ` +
      'Send POST executions (api-version 2025-02-02-preview or later) with {"shellCommand": "echo hi"} or {"execCommandAndArgs": ["echo", "hi"]} instead.',
    field,
  );
}

export function planShellExecution(fields: ExecutionFields, settings: PoolSettings): ShellPlan {
  const pythonField = PYTHON_FIELDS.find((field) => fields[field] !== undefined);
  if (pythonField) throw pythonOnShellPool(pythonField);
  const command = fields.shellCommand;
  const argv = fields.execCommandAndArgs;
  if (command !== undefined && argv !== undefined) {
    throw validationError('Send either "shellCommand" (run by bash) or "execCommandAndArgs" (an argument list run without a shell), not both.', 'shellCommand');
  }
  let request: ShellRequest;
  if (command !== undefined) {
    if (typeof command !== 'string' || command.trim() === '') {
      throw validationError('"shellCommand" must be a non-empty string of bash, e.g. {"shellCommand": "ls -l /mnt/data"}.', 'shellCommand');
    }
    request = { command };
  } else if (argv !== undefined) {
    const valid = Array.isArray(argv) && argv.length > 0 && argv.length <= MAX_ARGS && argv.every((arg) => typeof arg === 'string') && argv[0] !== '';
    if (!valid) {
      throw validationError(`"execCommandAndArgs" must be a list of 1 to ${MAX_ARGS} strings, the program first, e.g. {"execCommandAndArgs": ["ls", "-l", "/mnt/data"]}.`, 'execCommandAndArgs');
    }
    request = { argv: argv as string[] };
  } else {
    throw validationError('The request has no command: send {"shellCommand": "echo hi"} (run by bash) or {"execCommandAndArgs": ["echo", "hi"]} (no shell).', 'shellCommand');
  }
  if (fields.stdin !== undefined) {
    if (typeof fields.stdin !== 'string') throw validationError('"stdin" must be a string (the text the command reads on its standard input).', 'stdin');
    request = { ...request, stdin: fields.stdin };
  }
  const max = settings.maxExecutionSeconds;
  const timeoutSeconds = Math.min(fields.timeoutInSeconds ?? max, max);
  return { request, timeoutSeconds, timeoutMs: Math.round(timeoutSeconds * 1000), outputMaxLength: fields.outputStreamsMaxLength };
}
