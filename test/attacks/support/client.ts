/**
 * An ACA data-plane client for attacks, on node:http so that every call has a hard deadline and
 * a huge answer is counted rather than held: at most `keepBytes` of a body are kept as text.
 * Every answer passes through `onBody`, which the fixture uses to look for leaked canaries.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';

export const GEN1 = '2024-02-02-preview';
export const GEN2 = '2025-10-02-preview';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as text, cut at keepBytes. */
  text: string;
  /** Every byte the server sent, kept or not. */
  bytes: number;
  truncated: boolean;
  elapsedMs: number;
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  keepBytes?: number;
  auth?: boolean;
}

export class HttpTimeout extends Error {}

/** One execution, either generation, in one shape. */
export interface Execution {
  http: number;
  /** Azure error code of a non-2xx answer (SessionLost, SessionPoolFull, …). */
  errorCode?: string;
  errorMessage?: string;
  /** Success | Failure (gen-1) or Succeeded | Failed (gen-2). */
  status?: string;
  ok: boolean;
  stdout: string;
  stderr: string;
  result: unknown;
  elapsedMs: number;
  bytes: number;
  truncated: boolean;
  answer: HttpAnswer;
}

export interface FileEntry {
  name: string;
  size: number;
}

export class PoolClient {
  // One connection per request: a reused connection the server is closing would fail at random.
  readonly agent = new http.Agent({ keepAlive: false });
  /** Identifiers this client touched since the last reset (for clean-up). */
  readonly touched = new Set<string>();

  constructor(
    readonly baseUrl: string,
    readonly key: string | null,
    private readonly onBody: (answer: HttpAnswer, what: string) => void = () => undefined,
  ) {}

  request(path: string, options: RequestOptions = {}): Promise<HttpAnswer> {
    const url = new URL(path, this.baseUrl);
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
    const identifier = options.query?.identifier;
    if (identifier) this.touched.add(identifier);
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.auth !== false && this.key) headers.authorization = `Bearer ${this.key}`;
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const timeoutMs = options.timeoutMs ?? 90_000;
    const keepBytes = options.keepBytes ?? 32 * 1024 * 1024;
    const started = performance.now();
    const what = `${options.method ?? 'GET'} ${url.pathname}${url.search}`;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const request = http.request(url, { method: options.method ?? 'GET', headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (kept < keepBytes) {
            const part = chunk.subarray(0, keepBytes - kept);
            chunks.push(part);
            kept += part.length;
          }
        });
        response.on('end', () => {
          clearTimeout(timer);
          const answer: HttpAnswer = {
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
            bytes,
            truncated: bytes > kept,
            elapsedMs: performance.now() - started,
          };
          this.onBody(answer, what);
          resolve(answer);
        });
        response.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      const timer = setTimeout(() => {
        request.destroy(new HttpTimeout(`${what} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      if (options.body !== undefined) request.end(options.body);
      else request.end();
    });
  }

  /** GET /healthz on a fresh connection, as a load balancer's probe opens, optionally from another loopback address. */
  async healthz(timeoutMs = 5_000, localAddress?: string): Promise<HttpAnswer> {
    const url = new URL('/healthz', this.baseUrl);
    const started = performance.now();
    return new Promise<HttpAnswer>((resolve, reject) => {
      const request = http.get(url, { agent: false, ...(localAddress ? { localAddress } : {}) }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, bytes: text.length, truncated: false, elapsedMs: performance.now() - started });
        });
      });
      const timer = setTimeout(() => request.destroy(new HttpTimeout(`GET /healthz did not answer within ${timeoutMs} ms`)), timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Gen-1 `POST code/execute`. */
  async exec1(identifier: string, code: string, options: { timeoutInSeconds?: number; httpTimeoutMs?: number; keepBytes?: number } = {}): Promise<Execution> {
    const properties: Record<string, unknown> = { codeInputType: 'inline', executionType: 'synchronous', code };
    if (options.timeoutInSeconds !== undefined) properties.timeoutInSeconds = options.timeoutInSeconds;
    const answer = await this.request('/code/execute', {
      method: 'POST',
      query: { 'api-version': GEN1, identifier },
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ properties }),
      timeoutMs: options.httpTimeoutMs ?? 120_000,
      keepBytes: options.keepBytes,
    });
    const parsed = parseJson(answer);
    const base = { http: answer.status, elapsedMs: answer.elapsedMs, bytes: answer.bytes, truncated: answer.truncated, answer };
    if (answer.status !== 200 || !parsed || typeof parsed !== 'object' || !('properties' in parsed)) {
      return { ...base, ...errorOf(parsed), ok: false, stdout: '', stderr: '', result: undefined };
    }
    const properties2 = (parsed as { properties: Record<string, unknown> }).properties;
    return {
      ...base,
      status: String(properties2.status),
      ok: properties2.status === 'Success',
      stdout: String(properties2.stdout ?? ''),
      stderr: String(properties2.stderr ?? ''),
      result: properties2.result,
    };
  }

  /** Gen-2 `POST executions`; asynchronous ones are polled to their end. */
  async exec2(identifier: string, code: string, options: { asynchronous?: boolean; timeoutInSeconds?: number; httpTimeoutMs?: number; keepBytes?: number } = {}): Promise<Execution> {
    const started = performance.now();
    const httpTimeoutMs = options.httpTimeoutMs ?? 120_000;
    const answer = await this.request('/executions', {
      method: 'POST',
      query: { 'api-version': GEN2, identifier },
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        codeInputType: 'Inline',
        executionType: options.asynchronous ? 'Asynchronous' : 'Synchronous',
        code,
        timeoutInSeconds: options.timeoutInSeconds ?? 60,
      }),
      timeoutMs: httpTimeoutMs,
      keepBytes: options.keepBytes,
    });
    let final = answer;
    let parsed = parseJson(answer) as Record<string, unknown> | undefined;
    if (options.asynchronous && answer.status === 202 && parsed && typeof parsed.id === 'string') {
      const id = parsed.id;
      for (;;) {
        if (performance.now() - started > httpTimeoutMs) throw new HttpTimeout(`asynchronous execution ${id} did not finish within ${httpTimeoutMs} ms`);
        await sleep(200);
        final = await this.request(`/executions/${encodeURIComponent(id)}`, {
          query: { 'api-version': GEN2, identifier },
          timeoutMs: Math.max(1_000, httpTimeoutMs - (performance.now() - started)),
          keepBytes: options.keepBytes,
        });
        parsed = parseJson(final) as Record<string, unknown> | undefined;
        if (final.status !== 200 || !parsed || parsed.status !== 'Running') break;
      }
    }
    const base = { http: final.status, elapsedMs: performance.now() - started, bytes: final.bytes, truncated: final.truncated, answer: final };
    if (final.status !== 200 || !parsed || typeof parsed !== 'object' || !('status' in parsed)) {
      return { ...base, ...errorOf(parsed), ok: false, stdout: '', stderr: '', result: undefined };
    }
    const result = (parsed.result ?? {}) as Record<string, unknown>;
    const error = parsed.error as { code?: string; message?: string } | undefined;
    return {
      ...base,
      status: String(parsed.status),
      ok: parsed.status === 'Succeeded',
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      result: result.executionResult,
      ...(error?.code ? { errorCode: error.code, errorMessage: error.message } : {}),
    };
  }

  /** Gen-1 multipart upload of one file. */
  upload(identifier: string, name: string, data: Buffer | string, timeoutMs = 30_000): Promise<HttpAnswer> {
    const boundary = `----attack${randomBytes(8).toString('hex')}`;
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      Buffer.isBuffer(data) ? data : Buffer.from(data),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return this.request('/files/upload', {
      method: 'POST',
      query: { 'api-version': GEN1, identifier },
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
      timeoutMs,
    });
  }

  /** Gen-1 listing (recursive, files only). */
  list1(identifier: string, timeoutMs = 30_000, keepBytes?: number): Promise<HttpAnswer> {
    return this.request('/files', { query: { 'api-version': GEN1, identifier }, timeoutMs, keepBytes });
  }

  /** Gen-2 listing of one directory (or all of them with recursive). */
  list2(identifier: string, options: { path?: string; recursive?: boolean; timeoutMs?: number; keepBytes?: number } = {}): Promise<HttpAnswer> {
    const query: Record<string, string> = { 'api-version': GEN2, identifier };
    if (options.path) query.path = options.path;
    if (options.recursive) query.recursive = 'true';
    return this.request('/files', { query, timeoutMs: options.timeoutMs ?? 30_000, keepBytes: options.keepBytes });
  }

  /** Gen-1 download (`files/content/{name}`). */
  download1(identifier: string, name: string, timeoutMs = 30_000): Promise<HttpAnswer> {
    return this.request(`/files/content/${encodeURIComponent(name)}`, { query: { 'api-version': GEN1, identifier }, timeoutMs });
  }

  /** Gen-2 download (`files/{name}/content`). */
  download2(identifier: string, name: string, timeoutMs = 30_000): Promise<HttpAnswer> {
    return this.request(`/files/${encodeURIComponent(name)}/content`, { query: { 'api-version': GEN2, identifier }, timeoutMs });
  }

  /** Gen-2 file metadata (`files/{name}`). */
  stat2(identifier: string, name: string, timeoutMs = 30_000): Promise<HttpAnswer> {
    return this.request(`/files/${encodeURIComponent(name)}`, { query: { 'api-version': GEN2, identifier }, timeoutMs });
  }

  deleteSession(identifier: string, timeoutMs = 30_000): Promise<HttpAnswer> {
    return this.request('/session', { method: 'DELETE', query: { 'api-version': GEN2, identifier }, timeoutMs });
  }

  close(): void {
    this.agent.destroy();
  }
}

export function parseJson(answer: HttpAnswer): unknown {
  if (answer.truncated) return undefined;
  try {
    return JSON.parse(answer.text) as unknown;
  } catch {
    return undefined;
  }
}

function errorOf(parsed: unknown): { errorCode?: string; errorMessage?: string } {
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (!error || typeof error !== 'object') return {};
  return { errorCode: String(error.code), errorMessage: String(error.message) };
}

/** Names of the files in a listing answer of either generation. */
export function fileNames(answer: HttpAnswer): string[] {
  const parsed = parseJson(answer) as { value?: Array<Record<string, unknown>> } | undefined;
  return (parsed?.value ?? []).map((item) => {
    const properties = item.properties as Record<string, unknown> | undefined;
    if (properties && typeof properties.filename === 'string') return properties.filename;
    const directory = typeof item.directory === 'string' && item.directory && item.directory !== '.' ? `${item.directory}/` : '';
    return `${directory}${String(item.name)}`;
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function randomId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}
