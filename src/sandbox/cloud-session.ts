/**
 * What a session on a cloud sandbox service (E2B, Daytona) does whatever the service: start the
 * sandbox on first use (reconnecting by id when another instance sharing the registry made it),
 * report the lifecycle, forget a sandbox that is gone and say so in the next cell's stderr, and
 * free the sandbox on close. Each backend supplies the service calls.
 */
import { InvalidInputError, SessionLostError, type SandboxError } from '../errors.js';
import { validateCode, validateExecuteOptions } from './execution.js';
import type { SessionLifecycle } from './lifecycle.js';
import type { ExecuteOptions } from './types.js';

/** What a reconnect needs: the cloud sandbox and the interpreter context holding the session's variables. */
export interface CloudSessionRecord<Context> {
  sandboxId: string;
  context: Context;
}

/** Session identifier → record. Sandboxes sharing one registry reconnect instead of creating. */
export type CloudSessionRegistry<Context> = Map<string, CloudSessionRecord<Context>>;

/** The running sandbox a session talks to; backends add their handle and SDK. */
export interface CloudLive {
  context: unknown;
}

/** The settings every cloud session reads; backends add their own. */
export interface CloudSessionConfig<Context> {
  registry: CloudSessionRegistry<Context>;
  defaultTimeoutMs: number;
  clock: () => number;
}

export abstract class CloudSession<Live extends CloudLive, Access, Config extends CloudSessionConfig<Live['context']>> implements AsyncDisposable {
  #live: Live | undefined;
  #starting: Promise<Live> | undefined;
  #closed = false;
  #everStarted = false;
  #notice = '';

  constructor(
    readonly identifier: string,
    protected readonly config: Config,
    protected readonly lifecycle: SessionLifecycle,
    private readonly onClose: () => void,
  ) {}

  /** Put before the next cell's stderr once the session's sandbox or interpreter was lost. */
  protected abstract readonly stateLostNotice: string;
  /** What starting needs (a key, a client); resolved before `creating` is reported, so a missing key reports nothing. */
  protected abstract access(): Promise<Access>;
  /** The recorded sandbox, or undefined when the service says it is gone (call `forgetLive` first). */
  protected abstract reconnect(access: Access, record: CloudSessionRecord<Live['context']>): Promise<Live | undefined>;
  protected abstract create(access: Access): Promise<Live>;
  protected abstract sandboxIdOf(live: Live): string;
  /** Frees the sandbox on close; best effort, never throws. */
  protected abstract release(live: Live): Promise<void>;
  protected abstract mapError(live: Live, error: unknown, action: string): SandboxError;
  /** Runs once a sandbox is live, before `ready` is reported. */
  protected started(_live: Live): void {}

  /** The service's sandbox id once the session has started (for dashboards and reconnects). */
  get sandboxId(): string | undefined {
    return this.#live && this.sandboxIdOf(this.#live);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const live = this.#live ?? (await this.#starting?.catch(() => undefined));
    this.#live = undefined;
    if (live) {
      this.config.registry.delete(this.identifier);
      await this.release(live);
    }
    if (this.#everStarted) this.lifecycle.closed();
    this.onClose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Checks a cell's code and options, then the live sandbox to run it in (started if need be). */
  protected async startCell(code: string, options: ExecuteOptions | undefined): Promise<{ live: Live; timeoutMs: number; signal?: AbortSignal }> {
    validateCode(code);
    const { timeoutMs, signal } = validateExecuteOptions(options, this.config.defaultTimeoutMs);
    signal?.throwIfAborted();
    return { live: await this.ensure(), timeoutMs, signal };
  }

  protected ensure(): Promise<Live> {
    if (this.#closed) return Promise.reject(new InvalidInputError(`Session ${this.identifier} is closed; open a new session.`));
    if (this.#live) return Promise.resolve(this.#live);
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  /** Runs one service call; a lost sandbox is forgotten so the next use starts a new one. */
  protected async call<T>(live: Live, action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const mapped = this.mapError(live, error, action);
      if (mapped instanceof SessionLostError) this.forgetLive();
      throw mapped;
    }
  }

  /** Records the live sandbox and context, for reconnects. */
  protected remember(live: Live): void {
    this.config.registry.set(this.identifier, { sandboxId: this.sandboxIdOf(live), context: live.context });
  }

  /** The sandbox is gone: the next use starts a new one, and its first cell says the state was lost. */
  protected forgetLive(): void {
    this.#live = undefined;
    this.config.registry.delete(this.identifier);
    this.noteStateLost();
  }

  protected noteStateLost(): void {
    this.#notice = this.stateLostNotice;
  }

  /** The notice owed to the next cell's stderr (empty when none), cleared once taken. */
  protected takeNotice(): string {
    const notice = this.#notice;
    this.#notice = '';
    return notice;
  }

  async #start(): Promise<Live> {
    const access = await this.access();
    const first = !this.#everStarted;
    if (first) this.lifecycle.creating();
    this.#everStarted = true;
    try {
      const record = this.config.registry.get(this.identifier);
      const reconnected = record ? await this.reconnect(access, record) : undefined;
      const live = reconnected ?? (await this.create(access));
      this.remember(live);
      this.#live = live;
      this.started(live);
      if (first) this.lifecycle.ready(reconnected !== undefined);
      return live;
    } catch (error) {
      this.lifecycle.failed(error instanceof Error ? error.message : String(error));
      throw error;
    }
  }
}
