/** The few gen-2 calls the soak makes, as plain fetch, each answer returned with its status and body. */
export const API_VERSION = '2025-10-02-preview';

export interface Answer {
  status: number;
  json: Record<string, unknown> | undefined;
  bytes: Buffer;
  ms: number;
}

export class PoolApi {
  constructor(public url: string) {}

  async send(method: string, route: string, identifier: string | undefined, body?: RequestInit['body'], headers: Record<string, string> = {}, timeoutMs = 120_000): Promise<Answer> {
    const query = `api-version=${API_VERSION}${identifier === undefined ? '' : `&identifier=${encodeURIComponent(identifier)}`}`;
    const started = performance.now();
    const response = await fetch(`${this.url}${route}?${query}`, { method, body, headers, signal: AbortSignal.timeout(timeoutMs) });
    const bytes = Buffer.from(await response.arrayBuffer());
    const ms = performance.now() - started;
    let json: Record<string, unknown> | undefined;
    if ((response.headers.get('content-type') ?? '').startsWith('application/json') && !route.endsWith('/content')) json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    return { status: response.status, json, bytes, ms };
  }

  execute(identifier: string, code: string, executionType: 'Synchronous' | 'Asynchronous' = 'Synchronous'): Promise<Answer> {
    return this.send('POST', '/executions', identifier, JSON.stringify({ codeInputType: 'Inline', executionType, timeoutInSeconds: 60, code }), { 'content-type': 'application/json' });
  }

  upload(identifier: string, name: string, data: Buffer): Promise<Answer> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(data)]), name);
    return this.send('POST', '/files', identifier, form);
  }

  download(identifier: string, name: string): Promise<Answer> {
    return this.send('GET', `/files/${encodeURIComponent(name)}/content`, identifier);
  }

  list(identifier: string): Promise<Answer> {
    return this.send('GET', '/files', identifier);
  }

  deleteFile(identifier: string, name: string): Promise<Answer> {
    return this.send('DELETE', `/files/${encodeURIComponent(name)}`, identifier);
  }

  getSession(identifier: string): Promise<Answer> {
    return this.send('GET', '/session', identifier);
  }

  deleteSession(identifier: string): Promise<Answer> {
    return this.send('DELETE', '/session', identifier);
  }

  execution(identifier: string, id: string): Promise<Answer> {
    return this.send('GET', `/executions/${encodeURIComponent(id)}`, identifier);
  }
}
