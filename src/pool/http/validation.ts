/**
 * Checks on what every request carries: api-version, identifier and the execution body.
 * Query values are decoded without turning `+` into a space, because several clients (Semantic
 * Kernel, AutoGen) put identifiers into the URL unencoded.
 */
import { z } from 'zod';
import { PoolApiError, validationError } from './errors.js';

export const GEN1_API_VERSIONS = ['2024-02-02-preview', '2024-08-02-preview'] as const;
export const GEN2_API_VERSIONS = ['2024-10-02-preview', '2025-02-02-preview', '2025-10-02-preview'] as const;
export const API_VERSIONS: readonly string[] = [...GEN1_API_VERSIONS, ...GEN2_API_VERSIONS];

export type ApiGeneration = 1 | 2;

export interface ApiVersion {
  version: string;
  generation: ApiGeneration;
}

/** All values of one query parameter, percent-decoded, name compared case-insensitively. */
export function queryValues(url: string, name: string): string[] {
  const start = url.indexOf('?');
  if (start === -1) return [];
  const end = url.indexOf('#', start);
  const query = url.slice(start + 1, end === -1 ? undefined : end);
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const equals = pair.indexOf('=');
    const key = equals === -1 ? pair : pair.slice(0, equals);
    if (decodeLoosely(key).toLowerCase() !== wanted) continue;
    values.push(equals === -1 ? '' : decodeLoosely(pair.slice(equals + 1)));
  }
  return values;
}

export function queryParam(url: string, name: string): string | undefined {
  return queryValues(url, name)[0];
}

function decodeLoosely(value: string): string {
  // Most names and values have nothing to decode; decodeURIComponent would copy them all the same.
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function requireApiVersion(url: string): ApiVersion {
  const version = queryParam(url, 'api-version')?.trim();
  const valid = `Valid versions: ${API_VERSIONS.join(', ')}.`;
  if (!version) throw validationError(`The api-version query parameter is required. ${valid}`, 'api-version');
  if (!API_VERSIONS.includes(version)) throw validationError(`Unsupported api-version "${version}". ${valid}`, 'api-version');
  return { version, generation: (GEN1_API_VERSIONS as readonly string[]).includes(version) ? 1 : 2 };
}

/**
 * Identifiers: letters, digits and ``_|}{[]:"';<>?/.,@#$%^&*()-+=!~` `` (the union of Azure's
 * documented character sets), 1 to 256 characters. Azure's docs say 4–128 while its 2024-10-02 spec
 * allows 1–256, and the compatibility vectors clients are written against use two-character ids
 * (`s1`), so the pool accepts the wider range; our own ACA client still enforces Azure's per-version rule.
 */
const IDENTIFIER_PATTERN = /^[a-zA-Z0-9_|}{[\]:"';<>?/.,@#$%^&*()\-+=!~`]{1,256}$/;

export function validateIdentifier(identifier: string): string {
  if (!IDENTIFIER_PATTERN.test(identifier)) {
    throw validationError(
      `The identifier "${identifier.slice(0, 140)}" is invalid: use 1 to 256 characters from letters, digits and _|}{[]:"';<>?/.,@#$%^&*()-+=!~\` (no spaces or non-ASCII; a UUID is a good choice).`,
      'identifier',
    );
  }
  return identifier;
}

export function requireIdentifier(url: string): string {
  const identifier = queryParam(url, 'identifier');
  if (identifier === undefined || identifier === '') {
    throw validationError('The identifier query parameter is required for this operation: pass ?identifier=<session id> (e.g. a UUID).', 'identifier');
  }
  return validateIdentifier(identifier);
}

/**
 * Parses a JSON request body; anything unparsable is the client's 400, not our 500. The body is
 * refused with 413 by its declared length, or as soon as the bytes read pass `maxBytes`, so a body
 * without a Content-Length cannot grow without bound.
 *
 * `lengthEnforced` says the declared Content-Length is also the most that can arrive, as on a
 * socket, where Node's HTTP parser ends the body there. Such a body (within the limit) is read in
 * one call instead of chunk by chunk through a web stream, which costs more than a small cell runs.
 */
export async function readJsonBody(request: Request, maxBytes: number, lengthEnforced = false): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLargeBody(maxBytes);
  const text = lengthEnforced && Number.isInteger(declared) ? await readDeclared(request) : new TextDecoder().decode(await readBounded(request, maxBytes));
  if (text.trim() === '') throw validationError('The request body is empty; send a JSON object such as {"code": "print(1)"}.', 'body');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw validationError(`The request body is not valid JSON (${(error as Error).message}).`, 'body');
  }
}

async function readDeclared(request: Request): Promise<string> {
  try {
    return await request.text();
  } catch {
    throw interruptedBody();
  }
}

async function readBounded(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch {
      throw interruptedBody();
    }
    if (chunk.done) break;
    total += chunk.value.byteLength;
    if (total > maxBytes) {
      // The rest is left unread; the 413 closes the connection, so nobody waits for it.
      reader.releaseLock();
      throw tooLargeBody(maxBytes);
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks, total);
}

function interruptedBody(): PoolApiError {
  return validationError('The request body could not be read to the end (the connection was interrupted); send the request again.', 'body');
}

export function tooLargeBody(maxBytes: number): PoolApiError {
  return new PoolApiError(413, 'PayloadTooLarge', `The request body exceeds ${maxBytes} bytes; send less code or upload data as a file.`, {
    target: 'body',
    headers: { Connection: 'close' },
  });
}

const timeoutSchema = z.union([z.number(), z.string().regex(/^\s*\d+(\.\d+)?\s*$/).transform(Number)]).pipe(z.number().positive());
const lenientString = z.string();

/** The execution fields both generations share (gen-1 inside `properties`, gen-2 flat). */
export const executionFieldsSchema = z
  .object({
    code: lenientString.optional(),
    pythonCode: lenientString.optional(),
    codeInputType: lenientString.optional(),
    executionType: lenientString.optional(),
    timeoutInSeconds: timeoutSchema.optional(),
    outputStreamsMaxLength: z.number().int().positive().optional(),
    useEmptyKernel: z.boolean().optional(),
    returnJupyterFormatExecutionResult: z.boolean().optional(),
    returnJupyterFormat: z.boolean().optional(),
    shellCommand: z.unknown().optional(),
    execCommandAndArgs: z.unknown().optional(),
    stdin: z.unknown().optional(),
    identifier: z.unknown().optional(),
  })
  .passthrough();

export type ExecutionFields = z.infer<typeof executionFieldsSchema>;

export function parseExecutionFields(value: unknown, where: string): ExecutionFields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validationError(`${where} must be a JSON object.`, 'body');
  }
  const parsed = executionFieldsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || 'body';
    throw validationError(`Invalid field "${field}" in ${where}: ${issue.message}.`, field);
  }
  return parsed.data;
}
