/**
 * The pool's app called from the same process (the embedded Sandbox-Pool): one request in, one
 * answer out, with no socket and none of the WHATWG machinery a socket-less `fetch()` would build.
 *
 * A platform `Request` parses its URL, copies its headers into a header list, wraps a string body
 * in a ReadableStream and follows the caller's AbortSignal with one of its own; reading a
 * `Response` body goes through streams again. For a warm cell that was over a third of the
 * in-process call. `InProcessRequest` offers what the app reads (method, url, headers, signal and
 * the body as text or JSON) directly and builds a platform Request only if anything else is asked
 * of it; answers built by `sendJson` are read back from the text it serialised.
 */
import { factsOf } from './response-facts.js';

export interface InProcessRequestInit {
  method: string;
  headers: Record<string, string>;
  /** A JSON or text body, whole: its length is known, so the app reads it in one step. */
  body?: string;
  signal?: AbortSignal;
}

export interface InProcessResponse {
  status: number;
  /** A response header by case-insensitive name, or null. */
  header(name: string): string | null;
  bytes: Uint8Array;
}

/** The app's fetch handler, as `createPoolApp` returns it. */
export type AppFetch = (request: Request) => Response | Promise<Response>;

const unusable = () => new TypeError('Body is unusable: it has already been read');

/**
 * A Request-shaped object for the app. Its body is a string held whole, announced by an exact
 * Content-Length, so the routes read it as they read a body Node's HTTP parser has bounded.
 * Anything a route might read beyond the fields below (the body as a stream, formData, clone...)
 * comes from a platform Request made on first use.
 */
export class InProcessRequest {
  readonly method: string;
  readonly url: string;
  readonly #headerRecord: Record<string, string>;
  readonly #body: string | undefined;
  #signal: AbortSignal | undefined;
  #headers: Headers | undefined;
  #platform: Request | undefined;
  #used = false;

  constructor(url: string, init: InProcessRequestInit) {
    this.url = url;
    this.method = init.method;
    this.#body = init.body;
    this.#signal = init.signal;
    this.#headerRecord = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
  }

  get headers(): Headers {
    return (this.#headers ??= new Headers(this.#headerRecord));
  }

  /** The caller's signal, or one that never aborts. */
  get signal(): AbortSignal {
    return (this.#signal ??= new AbortController().signal);
  }

  get bodyUsed(): boolean {
    return this.#used || (this.#platform?.bodyUsed ?? false);
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.#asPlatform().body;
  }

  text(): Promise<string> {
    if (this.#platform) return this.#platform.text();
    if (this.#used) return Promise.reject(unusable());
    this.#used = true;
    return Promise.resolve(this.#body ?? '');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = Buffer.from(await this.text());
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  blob(): Promise<Blob> {
    return this.#asPlatform().blob();
  }

  formData(): Promise<FormData> {
    return this.#asPlatform().formData();
  }

  clone(): Request {
    return this.#asPlatform().clone();
  }

  #asPlatform(): Request {
    if (!this.#platform) {
      if (this.#used) throw unusable();
      this.#platform = new Request(this.url, { method: this.method, headers: this.#headerRecord, body: this.#body, signal: this.#signal });
    }
    return this.#platform;
  }
}

/** Sends one request to the app and reads its whole answer. */
export async function exchangeInProcess(fetchApp: AppFetch, url: string, init: InProcessRequestInit): Promise<InProcessResponse> {
  const response = await fetchApp(new InProcessRequest(url, init) as unknown as Request);
  const text = factsOf(response)?.text;
  const bytes = text === undefined ? new Uint8Array(await response.arrayBuffer()) : Buffer.from(text);
  // Headers are read only when asked for (a failure's Retry-After): making them costs as much as the body.
  return { status: response.status, header: (name) => response.headers.get(name), bytes };
}
