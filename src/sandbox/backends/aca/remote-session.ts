/**
 * A session on an ACA-compatible pool. The service creates it implicitly on the first request
 * carrying its identifier; here we only track lifecycle events and whether we own it.
 */
import { InvalidInputError } from '../../../errors.js';
import { validateCode, validateExecuteOptions } from '../../execution.js';
import type { SessionLifecycle } from '../../lifecycle.js';
import type { ExecuteOptions, ExecutionResult, FileInfo, SandboxSession, SandboxType } from '../../types.js';
import type { AcaClient } from './aca-client.js';

export interface RemoteSessionHost {
  readonly sandboxType: SandboxType;
  readonly defaultTimeoutMs: number;
  /** The client to use; may start something the first time (the embedded pool). */
  connect(signal?: AbortSignal): Promise<AcaClient>;
}

export class RemoteSession implements SandboxSession {
  #connected: Promise<AcaClient> | undefined;
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
    const { timeoutMs, signal } = validateExecuteOptions(options, this.host.defaultTimeoutMs);
    const client = await this.#client(signal);
    this.lifecycle.executing();
    let result: ExecutionResult;
    try {
      result = await client.execute(this.identifier, code, { timeoutMs, signal });
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
    return (await this.#client(options.signal)).upload(this.identifier, name, data, options);
  }

  async download(name: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    return (await this.#client(options.signal)).download(this.identifier, name, options);
  }

  async list(options: { signal?: AbortSignal } = {}): Promise<FileInfo[]> {
    return (await this.#client(options.signal)).list(this.identifier, options);
  }

  async delete(name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await (await this.#client(options.signal)).deleteFile(this.identifier, name, options);
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
      const client = await this.#connected?.catch(() => undefined);
      await client?.deleteSession(this.identifier).catch(() => undefined);
    }
    this.lifecycle.closed();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** First use: creating → (start/sign in) → ready. Later uses reuse the same client. */
  async #client(signal?: AbortSignal): Promise<AcaClient> {
    if (this.#closed) throw new InvalidInputError(`Session ${this.identifier} is closed; open a new session.`);
    if (!this.#connected) {
      this.#started = true;
      this.lifecycle.creating();
      this.#connected = this.host.connect(signal).then(async (client) => {
        await client.prepare(signal);
        return client;
      });
      this.#connected.then(
        () => this.lifecycle.ready(),
        (error: unknown) => {
          this.lifecycle.failed(error instanceof Error ? error.message : String(error));
          // Let the next call try again (e.g. after the user ran `az login`).
          this.#connected = undefined;
        },
      );
    }
    return this.#connected;
  }
}
