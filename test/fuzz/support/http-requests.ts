/**
 * fast-check arbitraries for requests to the pool's HTTP edge: every route of both API
 * generations and the legacy python/* routes, each request built from parts that are valid, absent
 * or malformed (api-version, identifier, body, headers, query, file names, multipart), together
 * with what a correct pool must answer for the parts the request is known to get wrong.
 */
import fc from 'fast-check';
import { API_VERSIONS, GEN1_API_VERSIONS, GEN2_API_VERSIONS } from '../../../src/pool/http/validation.js';

export const POOL_PREFIX = '/subscriptions/0000/resourceGroups/rg/sessionPools/pool';

/** What a route needs, so the oracle knows which malformed part must be refused first. */
export interface RouteSpec {
  /** Label for the per-route tally. */
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path with `{name}` / `{id}` placeholders. */
  path: string;
  apiVersion: 'required' | 'optional' | 'none';
  identifier: boolean;
  body: 'execution' | 'multipart' | 'none';
}

export const ROUTES: readonly RouteSpec[] = [
  { name: 'POST code/execute', method: 'POST', path: '/code/execute', apiVersion: 'required', identifier: true, body: 'execution' },
  { name: 'POST files/upload', method: 'POST', path: '/files/upload', apiVersion: 'required', identifier: true, body: 'multipart' },
  { name: 'GET files', method: 'GET', path: '/files', apiVersion: 'required', identifier: true, body: 'none' },
  { name: 'GET files/content/{name}', method: 'GET', path: '/files/content/{name}', apiVersion: 'required', identifier: true, body: 'none' },
  { name: 'POST executions', method: 'POST', path: '/executions', apiVersion: 'required', identifier: true, body: 'execution' },
  { name: 'GET executions/{id}', method: 'GET', path: '/executions/{id}', apiVersion: 'required', identifier: true, body: 'none' },
  { name: 'POST files', method: 'POST', path: '/files', apiVersion: 'required', identifier: true, body: 'multipart' },
  { name: 'GET files/{name}', method: 'GET', path: '/files/{name}', apiVersion: 'required', identifier: true, body: 'none' },
  { name: 'GET files/{name}/content', method: 'GET', path: '/files/{name}/content', apiVersion: 'required', identifier: true, body: 'none' },
  { name: 'DELETE files/{name}', method: 'DELETE', path: '/files/{name}', apiVersion: 'required', identifier: true, body: 'none' },
  { name: 'GET session', method: 'GET', path: '/session', apiVersion: 'required', identifier: true, body: 'none' },
  { name: 'DELETE session', method: 'DELETE', path: '/session', apiVersion: 'required', identifier: true, body: 'none' },
  { name: 'GET listSessions', method: 'GET', path: '/listSessions', apiVersion: 'required', identifier: false, body: 'none' },
  { name: 'GET metadata', method: 'GET', path: '/metadata', apiVersion: 'required', identifier: false, body: 'none' },
  { name: 'POST .management/getSession', method: 'POST', path: '/.management/getSession', apiVersion: 'required', identifier: true, body: 'none' },
  { name: 'POST .management/listSessions', method: 'POST', path: '/.management/listSessions', apiVersion: 'required', identifier: false, body: 'none' },
  { name: 'POST .management/stopSession', method: 'POST', path: '/.management/stopSession', apiVersion: 'required', identifier: true, body: 'none' },
  { name: 'POST python/execute', method: 'POST', path: '/python/execute', apiVersion: 'optional', identifier: true, body: 'execution' },
  { name: 'POST python/uploadFile', method: 'POST', path: '/python/uploadFile', apiVersion: 'optional', identifier: true, body: 'multipart' },
  { name: 'GET python/files', method: 'GET', path: '/python/files', apiVersion: 'optional', identifier: true, body: 'none' },
  { name: 'GET python/downloadFile', method: 'GET', path: '/python/downloadFile', apiVersion: 'optional', identifier: true, body: 'none' },
  { name: 'GET healthz', method: 'GET', path: '/healthz', apiVersion: 'none', identifier: false, body: 'none' },
  { name: 'GET metrics', method: 'GET', path: '/metrics', apiVersion: 'none', identifier: false, body: 'none' },
];

/** A query value and whether the pool must accept it; `undefined` leaves the parameter out. */
export interface Part {
  raw: string | undefined;
  valid: boolean;
}

const known = new Set(API_VERSIONS);

/** Valid versions (as sent by real clients, sometimes padded), absent, and malformed ones. */
export const apiVersionPart: fc.Arbitrary<Part> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...GEN1_API_VERSIONS, ...GEN2_API_VERSIONS).map((raw) => ({ raw, valid: true })) },
  { weight: 1, arbitrary: fc.constantFrom(...API_VERSIONS).map((raw) => ({ raw: `%20${raw}%20`, valid: true })) },
  { weight: 1, arbitrary: fc.constant({ raw: undefined, valid: false }) },
  { weight: 1, arbitrary: fc.constant({ raw: '', valid: false }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.string({ maxLength: 40 }),
        fc.constantFrom(...API_VERSIONS).map((version) => version.toUpperCase()),
        fc.constantFrom(...API_VERSIONS).map((version) => `${version}x`),
        fc.date({ noInvalidDate: true }).map((date) => `${date.toISOString().slice(0, 10)}-preview`),
      )
      .filter((text) => !known.has(safeDecode(text).trim()))
      .map((text) => ({ raw: encodeURIComponent(text), valid: false })),
  },
);

const IDENTIFIER_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_|}{[]:"\';<>?/.,@#$%^&*()-+=!~`';

/** Identifiers: service-valid ones (encoded as clients do), absent, too long, and with forbidden characters. */
export const identifierPart: fc.Arbitrary<Part & { decoded: string | undefined }> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .oneof(
        fc.uuid(),
        fc.constantFrom('s1', 'a+b|c{d}', 'x'),
        fc.string({ unit: fc.constantFrom(...IDENTIFIER_CHARS), minLength: 1, maxLength: 256 }),
      )
      .map((decoded) => ({ raw: encodeURIComponent(decoded), decoded, valid: true })),
  },
  { weight: 1, arbitrary: fc.constant({ raw: undefined, decoded: undefined, valid: false }) },
  { weight: 1, arbitrary: fc.constant({ raw: '', decoded: '', valid: false }) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom(...IDENTIFIER_CHARS), minLength: 257, maxLength: 600 }).map((decoded) => ({ raw: encodeURIComponent(decoded), decoded, valid: false })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 20 }), fc.constantFrom(' ', '\t', '\n', '\u0000', 'é', '😀', '\\', '\u202e'), fc.string({ maxLength: 20 }))
      .map(([before, bad, after]) => `${before}${bad}${after}`)
      .map((decoded) => ({ raw: encodeURIComponent(decoded), decoded, valid: false })),
  },
);

/** File names as hostile and confused clients send them. */
export const fileNamePart: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('a.txt', 'sub/dir/b.csv', '/mnt/data/c.json', './d.txt', '../etc/passwd', '..', '/etc/shadow', 'a\\..\\..\\x', '', '.', '%zz', 'x\u0000y', 'con', '.hidden'),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.array(fc.constantFrom('a', '..', '.', '', 'b.txt', 'mnt', 'data', '%2e%2e', '%2F'), { minLength: 1, maxLength: 8 }).map((parts) => parts.join('/')),
  fc.string({ unit: fc.constantFrom('a', '/'), minLength: 1000, maxLength: 1100 }),
);

/** Query pairs nobody asked for, including broken percent-escapes and repeated known names. */
export const junkQueryPart: fc.Arbitrary<string[]> = fc.array(
  fc.oneof(
    fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 24 })).map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`),
    fc.constantFrom('%', '%%', '%zz=1', '=', '&', 'skip=-1', 'skip=1e309', 'skip=abc', 'recursive=maybe', 'recursive=TRUE', 'path=..', 'path=/etc', 'path=%00', 'filename=', 'identifier'),
  ),
  { maxLength: 4 },
);

/** Header values a fetch Request accepts: printable Latin-1 without CR/LF. */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((code) => code !== 0x7f).map((code) => String.fromCharCode(code)), maxLength: 80 });
const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/).filter((name) => !['host', 'content-length', 'transfer-encoding', 'authorization', 'connection'].includes(name.toLowerCase()));

export const junkHeadersPart: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.oneof(headerName, fc.constantFrom('content-type', 'operation-id', 'accept', 'content-encoding', 'expect', 'x-ms-client-request-id')),
  headerValue,
  { maxKeys: 4 },
);

/** A JSON execution body the pool must accept, and the code it must echo. */
export const validExecutionBody = (wrapped: boolean): fc.Arbitrary<{ body: unknown; code: string }> =>
  fc
    .record({
      code: fc.string({ maxLength: 200 }),
      field: fc.constantFrom('code', 'pythonCode'),
      inputType: fc.constantFrom(undefined, 'inline', 'Inline', 'InlineText'),
      timeout: fc.option(fc.oneof(fc.integer({ min: 1, max: 600 }), fc.constantFrom('5', ' 10 ', '1.5')), { nil: undefined }),
    })
    .map(({ code, field, inputType, timeout }) => {
      const fields: Record<string, unknown> = { [field]: code, executionType: 'Synchronous' };
      if (inputType !== undefined) fields.codeInputType = inputType;
      if (timeout !== undefined) fields.timeoutInSeconds = timeout;
      return { body: wrapped ? { properties: fields } : fields, code };
    });

/** Bodies that are not a valid execution: other JSON, broken JSON, bytes, wrong field types. */
export const invalidExecutionBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null'),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.string({ maxLength: 100 }).map((code) => JSON.stringify({ code }).slice(0, -1 - (code.length % 5))),
  fc.constantFrom('', ' ', '{}', '[]', 'null', '{"properties":null}', '{"properties":[]}', '{"code":1}', '{"code":null}', '{"code":"1","timeoutInSeconds":-1}', '{"code":"1","timeoutInSeconds":"abc"}',
    '{"code":"1","executionType":"Later"}', '{"code":"1","codeInputType":"File"}', '{"code":"1","shellCommand":"ls"}', '{"code":"1","outputStreamsMaxLength":0}', '{"code":"1","useEmptyKernel":"yes"}',
    '{"__proto__":{"code":"x"}}', '{"constructor":{"prototype":{"code":"x"}}}', '\uFEFF{"code":"1"}', '{"code":"\\ud800"}'),
);

/** A multipart body and its Content-Type, well-formed or mangled. */
export interface MultipartPart {
  contentType: string | undefined;
  body: Uint8Array;
  /** The filename in the part, when the body is well-formed with exactly one file part. */
  filename: string | undefined;
  data: Uint8Array | undefined;
}

function multipartBytes(boundary: string, parts: { field: string; filename: string | undefined; data: Uint8Array }[], close = true): Uint8Array {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = part.filename === undefined ? `form-data; name="${part.field}"` : `form-data; name="${part.field}"; filename="${part.filename.replace(/["\r\n]/g, (c) => encodeURIComponent(c))}"`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`, 'utf8'), Buffer.from(part.data), Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

export const multipartPart: fc.Arbitrary<MultipartPart> = fc.oneof(
  // Well-formed, one file with a hostile or ordinary name.
  fc.record({ filename: fileNamePart, data: fc.uint8Array({ maxLength: 300 }), boundary: fc.stringMatching(/^[0-9A-Za-z'()+_,./:=?-]{1,70}$/) }).map(({ filename, data, boundary }) => ({
    contentType: `multipart/form-data; boundary=${boundary}`,
    body: multipartBytes(boundary, [{ field: 'file', filename, data }]),
    filename: filename.replace(/["\r\n]/g, (c) => encodeURIComponent(c)),
    data,
  })),
  // Mangled: truncated, no filename, many parts, wrong or missing Content-Type, random bytes.
  fc
    .record({
      parts: fc.array(fc.record({ field: fc.constantFrom('file', 'other', ''), filename: fc.option(fileNamePart, { nil: undefined }), data: fc.uint8Array({ maxLength: 100 }) }), { maxLength: 40 }),
      cut: fc.nat(),
      close: fc.boolean(),
      contentType: fc.constantFrom(undefined, 'multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=B', 'application/json', 'text/plain', 'multipart/mixed; boundary=B', 'multipart/form-data; boundary="B"; charset=utf-9'),
      noise: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined }),
    })
    .map(({ parts, cut, close, contentType, noise }) => {
      const full = noise ?? multipartBytes('B', parts, close);
      return { contentType, body: full.subarray(0, full.length === 0 ? 0 : cut % (full.length + 1)), filename: undefined, data: undefined };
    }),
);

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
