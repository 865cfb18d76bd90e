/**
 * A cookie-keeping client for the web server, for tests on a real port. With a token it sends
 * `Authorization: Bearer`, as API clients do; `login()` instead trades it for the cookie, as a browser does.
 */
export class WebClient {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly baseUrl: string,
    public token?: string,
  ) {}

  /** Opens `/?token=…` like a browser following the printed link; keeps the cookie, drops the bearer. */
  async login(token: string): Promise<Response> {
    this.token = undefined;
    return this.request(`/?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
  }

  async request(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    if (this.token && !headers.has('authorization')) headers.set('authorization', `Bearer ${this.token}`);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    const response = await fetch(this.baseUrl + path, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return response;
  }

  async json<T = Record<string, unknown>>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
    const response = await this.request(path, init);
    const body = (await response.json()) as T;
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path} → ${response.status}: ${JSON.stringify(body)}`);
    return body;
  }
}

export interface SseEvent {
  event: string;
  data: string;
}

export async function readSse(response: Response): Promise<SseEvent[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      let event = 'message';
      const data: string[] = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      return { event, data: data.join('\n') };
    });
}
