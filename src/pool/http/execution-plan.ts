/**
 * Turns an execution request (either generation) into what the runtime needs: the code, an
 * effective timeout and the output options. Shell-pool fields are refused on a Python or NodeLTS pool,
 * and every code execution on a Shell pool.
 */
import type { PoolSettings } from '../types.js';
import { PoolApiError, validationError } from './errors.js';
import { pythonOnShellPool } from './shell-plan.js';
import type { ExecutionFields } from './validation.js';

export interface ExecutionPlan {
  code: string;
  asynchronous: boolean;
  /** The clamped timeout in seconds (client's timeoutInSeconds, at most settings.maxExecutionSeconds). */
  timeoutSeconds: number;
  timeoutMs: number;
  jupyterFormat: boolean;
  /** Characters kept per stream (outputStreamsMaxLength); undefined keeps everything up to the pool's byte cap. */
  outputMaxLength: number | undefined;
}

const SHELL_FIELDS = ['shellCommand', 'execCommandAndArgs', 'stdin'] as const;

interface Language {
  name: string;
  containerType: string;
  sixTimesSeven: string;
  runEcho: string;
}

/** How errors name the language of a code-interpreter pool, with examples in it. */
const LANGUAGES: Record<'python' | 'node', Language> = {
  python: {
    name: 'Python',
    containerType: 'PythonLTS',
    sixTimesSeven: 'print(6 * 7)',
    runEcho: "import subprocess; print(subprocess.run(['echo', 'hi'], capture_output=True, text=True).stdout)",
  },
  node: { name: 'JavaScript', containerType: 'NodeLTS', sixTimesSeven: 'console.log(6 * 7)', runEcho: "require('child_process').execSync('echo hi').toString()" },
};

function notSupported(message: string, target: string): PoolApiError {
  return new PoolApiError(400, 'SessionRequestNotSupported', message, { target });
}

export function planExecution(fields: ExecutionFields, settings: PoolSettings, generation: 1 | 2): ExecutionPlan {
  if (settings.containerType === 'shell') throw pythonOnShellPool(fields.code !== undefined || fields.pythonCode === undefined ? 'code' : 'pythonCode');
  const language = LANGUAGES[settings.containerType === 'node' ? 'node' : 'python'];
  const shellField = SHELL_FIELDS.find((field) => fields[field] !== undefined);
  if (shellField) {
    throw notSupported(
      `"${shellField}" is for Shell session pools; this pool runs ${language.name} (${language.containerType}). Send ${language.name} source in "code" instead, e.g. {"code": ${JSON.stringify(language.runEcho)}}.`,
      shellField,
    );
  }
  const code = decodeCode(fields, language);
  const executionType = (fields.executionType ?? 'synchronous').toLowerCase();
  if (executionType !== 'synchronous' && executionType !== 'asynchronous') {
    throw validationError(`executionType must be "Synchronous" or "Asynchronous", got "${fields.executionType}".`, 'executionType');
  }
  const asynchronous = executionType === 'asynchronous';
  if (asynchronous && generation === 1) {
    throw notSupported('Asynchronous execution is not available with code/execute; use POST executions with api-version 2024-10-02-preview or later.', 'executionType');
  }
  const max = settings.maxExecutionSeconds;
  const timeoutSeconds = Math.min(fields.timeoutInSeconds ?? max, max);
  return {
    code,
    asynchronous,
    timeoutSeconds,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    jupyterFormat: fields.returnJupyterFormatExecutionResult ?? fields.returnJupyterFormat ?? false,
    outputMaxLength: fields.outputStreamsMaxLength,
  };
}

function decodeCode(fields: ExecutionFields, language: Language): string {
  const source = fields.code ?? fields.pythonCode;
  if (source === undefined) {
    throw validationError(`The request has no "code"; send the ${language.name} source to run, e.g. {"code": ${JSON.stringify(language.sixTimesSeven)}}.`, 'code');
  }
  const inputType = (fields.codeInputType ?? 'inline').toLowerCase();
  if (inputType === 'inline' || inputType === 'inlinetext') return source;
  if (inputType === 'inlinebase64') {
    const text = Buffer.from(source, 'base64').toString('utf8');
    if (text.length === 0 && source.trim().length > 0) throw validationError('"code" is not valid base64 although codeInputType is InlineBase64.', 'code');
    return text;
  }
  throw notSupported(`codeInputType "${fields.codeInputType}" is not supported; use "Inline", "InlineText" or "InlineBase64".`, 'codeInputType');
}
