/**
 * What the client replays share: a pool app in-process around the real runtime (isolated
 * sessions with their own /mnt/data), and the request bodies as each client's HTTP stack writes
 * them — Python's json.dumps, urllib3/httpx/aiohttp multipart, .NET's MultipartFormDataContent.
 * Each test file replays one client's requests exactly as its published source builds them
 * (method, path, query order, headers, body) and reads the answer the way that client does.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { createSessionManager } from '../../src/pool/runtime/index.js';
import { resolvePoolSettings } from '../../src/pool/settings.js';
import { createHarness, type Harness } from '../pool/http/app-harness.js';

export const KEY = `clients-${randomUUID()}`;
/** A pool management endpoint as the Azure portal shows it; in-process only its path matters. */
export const ENDPOINT = 'https://eastus.dynamicsessions.io/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/sessionPools/pool';

export interface Replay {
  method: 'GET' | 'POST' | 'DELETE';
  /** The URL exactly as the client builds it. */
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | FormData;
}

export interface ClientPool extends Harness {
  send(request: Replay): Promise<Response>;
}

/** Small settings: one ready session, at most four. */
export async function startClientPool(options: Omit<Parameters<typeof createHarness>[0] & object, 'manager'> = {}): Promise<ClientPool> {
  const settings = resolvePoolSettings({ readySessions: 1, maxSessions: 4 }, {});
  const manager = createSessionManager(settings, { logger: pino({ level: 'silent' }) });
  const harness = await createHarness({ apiKeys: [KEY], ...options, settings, manager });
  return {
    ...harness,
    send: (request) => harness.request(request.url, { method: request.method, headers: request.headers, body: request.body as RequestInit['body'] }),
  };
}

/** Python's json.dumps with its defaults: ", " and ": " separators, non-ASCII escaped. */
/** The headers Python's `requests` adds to every request by default. */
export const PYTHON_REQUESTS_HEADERS = { 'Accept-Encoding': 'gzip, deflate', Accept: '*/*', Connection: 'keep-alive' } as const;

export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${pythonJson(key)}: ${pythonJson(item)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface MultipartBody {
  body: Uint8Array;
  contentType: string;
}

/** One-part multipart body with the part headers a client writes, in its order. */
function multipartOf(boundary: string, partHeaders: string[], data: Uint8Array | string, quoteBoundary = false): MultipartBody {
  const head = `--${boundary}\r\n${partHeaders.map((header) => `${header}\r\n`).join('')}\r\n`;
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const body = Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { body, contentType: `multipart/form-data; boundary=${quoteBoundary ? `"${boundary}"` : boundary}` };
}

/** requests (urllib3's encode_multipart_formdata) and httpx: a 32-hex-digit boundary, Content-Disposition then Content-Type. */
export function pythonMultipart(filename: string, data: Uint8Array | string): MultipartBody {
  return multipartOf(randomBytes(16).toString('hex'), [`Content-Disposition: form-data; name="file"; filename="${filename}"`, 'Content-Type: application/octet-stream'], data);
}

/** aiohttp.FormData with add_field(content_type=…): Content-Type first, then Content-Disposition. */
export function aiohttpMultipart(filename: string, data: Uint8Array | string): MultipartBody {
  return multipartOf(randomBytes(16).toString('hex'), ['Content-Type: application/octet-stream', `Content-Disposition: form-data; name="file"; filename="${filename}"`], data);
}

/**
 * .NET's MultipartFormDataContent with a ByteArrayContent: a quoted GUID boundary, names quoted
 * only when they are not a token, and filename* beside filename.
 */
export function dotnetMultipart(filename: string, data: Uint8Array | string): MultipartBody {
  const quoted = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(filename) ? filename : `"${filename}"`;
  return multipartOf(randomUUID(), [`Content-Disposition: form-data; name=file; filename=${quoted}; filename*=utf-8''${encodeURIComponent(filename)}`], data, true);
}

/** Python's str() of a decoded JSON scalar, as clients that format results with f-strings print it. */
export function pythonStr(value: string | number | boolean | null): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

/**
 * System.Text.Json's compact output with its default encoder, which escapes HTML-sensitive
 * characters (`"` `'` `<` `>` `&` `+` `` ` ``) and everything outside printable ASCII as \uXXXX.
 */
export function dotnetJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(dotnetJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${dotnetJson(key)}:${dotnetJson(item)}`)
      .join(',')}}`;
  }
  if (typeof value !== 'string') return JSON.stringify(value);
  const short: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
  let text = '"';
  for (const char of value) {
    for (const unit of char.length > 1 ? [char[0]!, char[1]!] : [char]) {
      const code = unit.charCodeAt(0);
      if (short[unit]) text += short[unit];
      else if (code < 0x20 || code > 0x7e || `"'<>&+\``.includes(unit)) text += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
      else text += unit;
    }
  }
  return `${text}"`;
}
