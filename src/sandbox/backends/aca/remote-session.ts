/**
 * A session on an ACA-compatible pool. The service creates it implicitly on the first request
 * carrying its identifier; here we only track lifecycle events and whether we own it.
 */
import { InvalidInputError } from '../../../errors.js';
import { validateCode, validateExecuteOptions } from '../../execution.js';
import { validateLanguage } from '../../languages.js';
import type { SessionLifecycle } from '../../lifecycle.js';
import type { ExecuteOptions, ExecutionResult, FileInfo, Language, SandboxSession, SandboxType } from '../../types.js';
import type { AcaClient } from './aca-client.js';

export interface RemoteSessionHost {
  readonly sandboxType: SandboxType;
  readonly defaultTimeoutMs: number;
  /** Throws UnsupportedLanguageError unless this sandbox runs `language` (may ask the pool once). */
  checkLanguage(language: Language, signal?: AbortSignal): Promise<void>;
  /** The client of the pool that runs `language`; may start something the first time (an embedded pool). */
  connect(language: Language, signal?: AbortSignal): Promise<AcaClient>;
}

export class RemoteSession implements SandboxSession {
  /** One client per language the session used: a Sandbox-Pool runs each language in a pool of its own. */
  readonly #connected = new Map<Language, Promise<AcaClient>>();
  /** Files live in the pool of the language the session last ran (Python until it runs another). */
  #fileLanguage: Language = 'python';
  #started = false;
  #closed = false;

  /**
   * @param owned we chose the identifier (it was omitted), so nobody else can reuse the session
   *   and close() deletes it where the API allows; a named session is left for later calls.
   */
  constructor(
    readonly identifier: string,
    private readonly host: RemoteSessionHost,
    private readonly lifecycle: SessionLifecycle,
    private readonly owned: boolean,
    private readonly onClose: () => void,
  ) {}

  get sandboxType(): SandboxType {
    return this.host.sandboxType;
  }

  async execute(code: string, options?: ExecuteOptions): Promise<ExecutionResult> {
    validateCode(code);
    const language = validateLanguage(options?.language);
    const { timeoutMs, signal } = validateExecuteOptions(options, this.host.defaultTimeoutMs);
    await this.host.checkLanguage(language, signal);
    const client = await this.#client(language, signal);
    this.#fileLanguage = language;
    this.lifecycle.executing();
    let result: ExecutionResult;
    try {
      result =
        language === 'shell'
          ? await client.executeShell(this.identifier, code, { timeoutMs, signal })
          : await client.execute(this.identifier, code, { timeoutMs, signal });
    } catch (error) {
      this.lifecycle.failed(error instanceof Error ? error.message : String(error));
      throw error;
    }
    if (result.status === 'success') this.lifecycle.finished();
    else this.lifecycle.failed(result.error ? `${result.error.type}: ${result.error.message}` : 'failure');
    return result;
  }

  async upload(name: string, data: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<FileInfo> {
    if (!(data instanceof Uint8Array)) throw new InvalidInputError('upload() needs the file content as a Uint8Array (a Buffer works too).');
    return (await this.#client(this.#fileLanguage, options.signal)).upload(this.identifier, name, data, options);
  }

  async download(name: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    return (await this.#client(this.#fileLanguage, options.signal)).download(this.identifier, name, options);
  }

  async list(options: { signal?: AbortSignal } = {}): Promise<FileInfo[]> {
    return (await this.#client(this.#fileLanguage, options.signal)).list(this.identifier, options);
  }

  async delete(name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await (await this.#client(this.#fileLanguage, options.signal)).deleteFile(this.identifier, name, options);
  }

  /**
   * Deletes the session on the service when we own it and the API version can (best effort:
   * an undeleted session still expires after the pool's cooldown). Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose();
    if (!this.#started) return;
    if (this.owned) {
      // One pool may serve several languages (Sandbox-ACA has one client for all): each is asked once.
      const clients = new Set(await Promise.all([...this.#connected.values()].map((connected) => connected.catch(() => undefined))));
      await Promise.all([...clients].map((client) => client?.deleteSession(this.identifier).catch(() => undefined)));
    }
    this.lifecycle.closed();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * First use: creating → (start/sign in) → ready; a language the session has not run yet connects
   * to its pool without reporting a second creation. Later uses reuse the same client.
   */
  async #client(language: Language, signal?: AbortSignal): Promise<AcaClient> {
    if (this.#closed) throw new InvalidInputError(`Session ${this.identifier} is closed; open a new session.`);
    let connected = this.#connected.get(language);
    if (!connected) {
      const first = this.#connected.size === 0;
      this.#started = true;
      if (first) this.lifecycle.creating();
      connected = this.host.connect(language, signal).then(async (client) => {
        await client.prepare(signal);
        return client;
      });
      this.#connected.set(language, connected);
      connected.then(
        () => {
          if (first) this.lifecycle.ready();
        },
        (error: unknown) => {
          this.lifecycle.failed(error instanceof Error ? error.message : String(error));
          // Let the next call try again (e.g. after the user ran `az login`).
          this.#connected.delete(language);
        },
      );
    }
    return connected;
  }
}
