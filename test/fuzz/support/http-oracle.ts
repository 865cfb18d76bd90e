/**
 * What every answer of the pool must be, whatever was asked: it arrives within a bound, has a
 * status the API documents, and, for a failure, carries Azure's JSON envelope with a documented
 * code matching its x-ms-error-code header and nothing of the server's internals (no stack frame,
 * no source file, no host path). Returns the parsed error so callers can check its code and target.
 */

/** The codes docs/pool.md documents (the server may emit no others). */
export const DOCUMENTED_ERROR_CODES = new Set([
  'SessionRequestValidationFailed',
  'SessionRequestNotSupported',
  'SessionWithIdentifierNotFound',
  'Unauthorized',
  'Forbidden',
  'AuthenticationUnavailable',
  'NotFound',
  'LegacyApiNotSupported',
  'SessionPoolFull',
  'PayloadTooLarge',
  'ExecutionResultEvicted',
  'TooManyExecutions',
  'SessionLost',
  'InternalServerError',
]);

/** Statuses a pool with a healthy runtime may answer a client's request with; a 5xx is always a finding. */
const CLIENT_STATUSES = new Set([200, 202, 204, 400, 401, 403, 404, 410, 413, 429]);

/** Marks of a leaked internal: a V8 stack frame, a source file of ours, a module path, a host path. */
const LEAKS: { name: string; pattern: RegExp }[] = [
  { name: 'stack frame', pattern: /\n\s+at [^\n]+\(|\bat (async )?[\w.<>]+ \(file:|\bat node:/ },
  { name: 'source file', pattern: /\.(ts|js|mjs|cjs):\d+/ },
  { name: 'module path', pattern: /node_modules|file:\/\// },
  { name: 'host path', pattern: /\/(work|tmp|home|root|proc|run)\/[\w.-]/ },
];

export interface ErrorEnvelope {
  code: string;
  message: string;
  target?: string;
  traceId: string;
}

export class OracleViolation extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(`${kind}: ${message}`);
    this.name = 'OracleViolation';
  }
}

/** Waits for `answer` at most `ms`; a request the pool never answers is a hang. */
export async function within<T>(ms: number, answer: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new OracleViolation('hang', `${what} got no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([answer, hang]);
  } finally {
    clearTimeout(timer);
  }
}

export interface CheckedAnswer {
  status: number;
  /** The error envelope of a 4xx/5xx. */
  error: ErrorEnvelope | undefined;
  /** The parsed JSON of a JSON 2xx answer. */
  json: unknown;
  bytes: Buffer;
}

/**
 * Checks the invariants of any answer and reads its body. `what` names the request in messages.
 * Leaks are looked for in the text the server wrote itself, so a client's own input echoed back
 * (a bad file name, say) is removed from the text first.
 */
export async function checkAnswer(response: Response, what: string, echoed: string[] = [], options: { fileContent?: boolean } = {}): Promise<CheckedAnswer> {
  const bytes = Buffer.from(await response.arrayBuffer());
  const status = response.status;
  if (!CLIENT_STATUSES.has(status)) throw new OracleViolation('unexpected status', `${what} → ${status}: ${bytes.toString('utf8').slice(0, 400)}`);
  const contentType = response.headers.get('content-type') ?? '';
  if (status < 400) {
    // A downloaded file is labelled by its name (a.json), not by what it holds.
    const json = /^application\/json/.test(contentType) && !options.fileContent ? parseJson(bytes, what) : undefined;
    return { status, error: undefined, json, bytes };
  }
  if (!/^application\/json/.test(contentType)) throw new OracleViolation('non-JSON error', `${what} → ${status} with Content-Type "${contentType}"`);
  const parsed = parseJson(bytes, what) as { error?: Partial<ErrorEnvelope> };
  const error = parsed?.error;
  if (!error || typeof error.code !== 'string' || typeof error.message !== 'string' || typeof error.traceId !== 'string') {
    throw new OracleViolation('bad envelope', `${what} → ${status}: ${bytes.toString('utf8').slice(0, 400)}`);
  }
  if (!DOCUMENTED_ERROR_CODES.has(error.code)) throw new OracleViolation('undocumented code', `${what} → ${error.code}`);
  if (response.headers.get('x-ms-error-code') !== error.code) throw new OracleViolation('header mismatch', `${what} → x-ms-error-code ${response.headers.get('x-ms-error-code')} vs ${error.code}`);
  let own = error.message;
  for (const text of echoed) if (text) own = own.split(text).join('');
  for (const leak of LEAKS) if (leak.pattern.test(own)) throw new OracleViolation('leak', `${what} → ${leak.name} in "${error.message.slice(0, 400)}"`);
  return { status, error: error as ErrorEnvelope, json: parsed, bytes };
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new OracleViolation('invalid JSON', `${what} answered JSON that does not parse: ${bytes.toString('utf8').slice(0, 200)}`);
  }
}
