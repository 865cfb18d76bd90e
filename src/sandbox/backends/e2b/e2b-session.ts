/**
 * One Tidepool session = one E2B sandbox with one Python code context whose working directory is
 * /mnt/data. Created on first use, reconnected by its sandbox id when another Sandbox-E2B instance
 * sharing the registry already made it, killed on close().
 */
import { MOUNT_POINT } from '../../../kernel/data-paths.js';
import { CloudSession, type CloudSessionConfig, type CloudSessionRecord } from '../../cloud-session.js';
import { dataName } from '../../data-name.js';
import { cellTimeoutError, shellExecutionResult } from '../../execution.js';
import { requireLanguage } from '../../languages.js';
import { SHELL_TIMEOUT_EXIT_CODE } from '../../../kernel/shell-exit.js';
import { SessionAllocationError, SessionLostError, type SandboxError } from '../../../errors.js';
import type { ExecuteOptions, ExecutionResult, FileInfo, Language, SandboxSession } from '../../types.js';
import { mapE2BError } from './e2b-errors.js';
import { mapExecution, shellExitCode } from './e2b-results.js';
import type { E2BContext, E2BSandboxHandle, E2BSdk } from './e2b-sdk.js';

/** What a reconnect needs: the sandbox and the code context holding the session's variables. */
export type E2BSessionRecord = CloudSessionRecord<E2BContext>;

export interface E2BSessionConfig extends CloudSessionConfig<E2BContext> {
  /** Throws ConfigurationError naming E2B_API_KEY when no key is set; called before any network use. */
  apiKey(): string;
  template?: string;
  sandboxTimeoutMs: number;
  requestTimeoutMs: number;
  outputLimitBytes: number;
  loadSdk(): Promise<E2BSdk>;
}

/** Runs as root because templates differ in who owns /mnt; the kernel then writes there as its own user. */
const PREPARE_DATA_DIR = `mkdir -p ${MOUNT_POINT} && chmod 1777 ${MOUNT_POINT}`;
const SETUP_CELL = `import os\nos.makedirs('${MOUNT_POINT}', exist_ok=True)\nos.chdir('${MOUNT_POINT}')`;
/** Extra lifetime beyond a cell's timeout, so the sandbox never expires under a running cell. */
const LIFETIME_MARGIN_MS = 60_000;

const STATE_LOST_NOTICE =
  "[tidepool] This session's previous E2B sandbox had gone (expired or killed), so its variables and files were lost; a new sandbox was started.\n";

interface Live {
  handle: E2BSandboxHandle;
  /** The Python context, recorded for reconnects. */
  context: E2BContext;
  sdk: E2BSdk;
  /** Contexts of the other languages, made when the session first runs them (not kept across reconnects). */
  others?: Map<Language, Promise<E2BContext>>;
}

/** The code interpreter runs a Python, a JavaScript and a bash kernel. */
export const E2B_LANGUAGES: readonly Language[] = ['python', 'javascript', 'shell'];

/** The code interpreter's name for each language's kernel. */
const E2B_KERNELS: Record<Language, string> = { python: 'python', javascript: 'javascript', shell: 'bash' };

/** `access` is the API key: checked before anything is reported or loaded. */
export class E2BSession extends CloudSession<Live, string, E2BSessionConfig> implements SandboxSession {
  readonly sandboxType = 'Sandbox-E2B' as const;
  #expiresAt = 0;
  protected readonly stateLostNotice = STATE_LOST_NOTICE;

  async execute(code: string, options?: ExecuteOptions): Promise<ExecutionResult> {
    const language = requireLanguage(options?.language, 'Sandbox-E2B', E2B_LANGUAGES);
    const { live, timeoutMs, signal } = await this.startCell(code, options);
    await this.#keepAlive(live, timeoutMs);
    const context = await this.#contextFor(live, language);
    const notice = this.takeNotice();
    this.lifecycle.executing();
    const startedAt = this.config.clock();
    let execution;
    try {
      execution = await abortable(live.handle.runCode(code, { context, timeoutMs, requestTimeoutMs: this.config.requestTimeoutMs }), signal);
    } catch (error) {
      return this.#executionFailed(live, context, error, timeoutMs, signal, startedAt);
    }
    const durationMs = Math.round(this.config.clock() - startedAt);
    const cell = mapExecution(execution, this.config.outputLimitBytes, language === 'javascript' ? 'javascript' : 'python');
    // A bash cell's "error" is its exit status; the result says it as the exit code.
    const result =
      language === 'shell'
        ? shellExecutionResult({ exitCode: shellExitCode(execution), stdout: cell.stdout, stderr: cell.stderr, durationMs })
        : { ...cell, durationMs };
    if (result.status === 'success') this.lifecycle.finished();
    else this.lifecycle.failed(`${result.error?.type}: ${result.error?.message}`);
    return { ...result, stderr: notice + result.stderr };
  }

  /** The session's context for `language`: the Python one it started with, else one made on first use, working in /mnt/data. */
  #contextFor(live: Live, language: Language): Promise<E2BContext> {
    if (language === 'python') return Promise.resolve(live.context);
    live.others ??= new Map();
    let context = live.others.get(language);
    if (!context) {
      context = this.call(live, `starting a ${language} context`, () =>
        live.handle.createCodeContext({ cwd: MOUNT_POINT, language: E2B_KERNELS[language], requestTimeoutMs: this.config.requestTimeoutMs }),
      );
      live.others.set(language, context);
      context.catch(() => live.others?.delete(language));
    }
    return context;
  }

  async upload(name: string, data: Uint8Array): Promise<FileInfo> {
    const relative = dataName(name);
    const live = await this.ensure();
    const copy = new Uint8Array(data).buffer;
    await this.call(live, `writing "${relative}"`, () => live.handle.files.write(`${MOUNT_POINT}/${relative}`, copy));
    return { name: relative, sizeBytes: data.byteLength, lastModified: new Date() };
  }

  async download(name: string): Promise<Uint8Array> {
    const relative = dataName(name);
    const live = await this.ensure();
    return this.call(live, `reading "${relative}"`, () => live.handle.files.read(`${MOUNT_POINT}/${relative}`, { format: 'bytes' }));
  }

  async list(): Promise<FileInfo[]> {
    const live = await this.ensure();
    // Deep enough for any layout a tool makes; E2B lists recursively up to this depth.
    const entries = await this.call(live, 'listing /mnt/data', () => live.handle.files.list(MOUNT_POINT, { depth: 16 }));
    return entries
      .filter((entry) => entry.type === 'file' && entry.path.startsWith(`${MOUNT_POINT}/`))
      .map((entry) => ({ name: entry.path.slice(MOUNT_POINT.length + 1), sizeBytes: entry.size, lastModified: entry.modifiedTime ?? new Date(0) }))
      .filter((file) => !file.name.split('/').some((segment) => segment.startsWith('.')));
  }

  async delete(name: string): Promise<void> {
    const relative = dataName(name);
    const live = await this.ensure();
    await this.call(live, `deleting "${relative}"`, () => live.handle.files.remove(`${MOUNT_POINT}/${relative}`));
  }

  protected async access(): Promise<string> {
    return this.config.apiKey();
  }

  protected sandboxIdOf(live: Live): string {
    return live.handle.sandboxId;
  }

  protected override started(): void {
    this.#expiresAt = this.config.clock() + this.config.sandboxTimeoutMs;
  }

  protected async release(live: Live): Promise<void> {
    // Killing is best effort: an expired sandbox is already gone, which is what we wanted.
    await live.handle.kill().catch(() => false);
  }

  protected mapError(live: Live, error: unknown, action: string): SandboxError {
    return this.#map(live.sdk, error, action);
  }

  protected async reconnect(apiKey: string, record: E2BSessionRecord): Promise<Live | undefined> {
    // The SDK loads here, inside the start the lifecycle reports on; E2BSandbox loads it only once.
    const sdk = await this.config.loadSdk();
    try {
      const handle = await sdk.Sandbox.connect(record.sandboxId, {
        apiKey,
        timeoutMs: this.config.sandboxTimeoutMs,
        requestTimeoutMs: this.config.requestTimeoutMs,
      });
      return { handle, context: record.context, sdk };
    } catch (error) {
      if (!(error instanceof sdk.errors.SandboxNotFoundError || error instanceof sdk.errors.NotFoundError)) {
        throw this.#map(sdk, error, `reconnecting to sandbox ${record.sandboxId}`);
      }
      this.forgetLive();
      return undefined;
    }
  }

  protected async create(apiKey: string): Promise<Live> {
    const sdk = await this.config.loadSdk();
    let handle: E2BSandboxHandle;
    try {
      handle = await sdk.Sandbox.create({
        apiKey,
        template: this.config.template,
        timeoutMs: this.config.sandboxTimeoutMs,
        requestTimeoutMs: this.config.requestTimeoutMs,
        metadata: { tidepoolSession: this.identifier.slice(0, 256) },
      });
    } catch (error) {
      throw this.#map(sdk, error, 'creating an E2B sandbox');
    }
    try {
      const prepared = await handle.commands.run(PREPARE_DATA_DIR, { user: 'root' });
      if (prepared.exitCode !== 0) throw new SessionAllocationError(`Could not create ${MOUNT_POINT} in the E2B sandbox: ${prepared.stderr.trim()}`);
      const context = await handle.createCodeContext({ cwd: MOUNT_POINT, language: 'python', requestTimeoutMs: this.config.requestTimeoutMs });
      const setup = await handle.runCode(SETUP_CELL, { context, requestTimeoutMs: this.config.requestTimeoutMs });
      if (setup.error) throw new SessionAllocationError(`Preparing ${MOUNT_POINT} in the E2B sandbox failed: ${setup.error.name}: ${setup.error.value}`);
      return { handle, context, sdk };
    } catch (error) {
      // A half-prepared sandbox would only cost money until it expires.
      await handle.kill().catch(() => false);
      throw error instanceof SessionAllocationError ? error : this.#map(sdk, error, 'preparing the E2B sandbox');
    }
  }

  /** E2B sandboxes expire on their own; extend the lifetime before a cell that could outlive it. */
  async #keepAlive(live: Live, timeoutMs: number): Promise<void> {
    const needed = timeoutMs + LIFETIME_MARGIN_MS;
    if (this.#expiresAt - this.config.clock() >= needed) return;
    const lifetimeMs = Math.max(this.config.sandboxTimeoutMs, needed);
    await this.call(live, 'extending the sandbox lifetime', () => live.handle.setTimeout(lifetimeMs));
    this.#expiresAt = this.config.clock() + lifetimeMs;
  }

  async #executionFailed(
    live: Live,
    context: E2BContext,
    error: unknown,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    startedAt: number,
  ): Promise<ExecutionResult> {
    const aborted = signal?.aborted === true;
    const timedOut = error instanceof live.sdk.errors.TimeoutError;
    if (aborted || timedOut) {
      // The cell may still be running remotely; restarting the context is the only way to stop it.
      // The Python context changes directory in a setup cell; the others were made in /mnt/data.
      const setUp = () =>
        context === live.context ? live.handle.runCode(SETUP_CELL, { context, requestTimeoutMs: this.config.requestTimeoutMs }).then(() => true) : true;
      const restarted = await live.handle.restartCodeContext(context).then(setUp, () => false);
      if (!restarted) return this.#lost(live, error);
      if (aborted) {
        this.lifecycle.failed('aborted');
        throw signal!.reason;
      }
      const timeout = cellTimeoutError(
        timeoutMs,
        `The cell was stopped by restarting the ${context === live.context ? 'Python' : context.language} context, so its variables were lost (files in /mnt/data were kept).`,
      );
      this.lifecycle.failed(`TimeoutError: ${timeout.message}`);
      const failure: ExecutionResult = {
        status: 'failure',
        stdout: '',
        stderr: '',
        result: null,
        images: [],
        error: timeout,
        durationMs: Math.round(this.config.clock() - startedAt),
      };
      // A shell command stopped at its timeout reports what timeout(1) would.
      if (context.language === E2B_KERNELS.shell) failure.exitCode = SHELL_TIMEOUT_EXIT_CODE;
      return failure;
    }
    const mapped = this.#map(live.sdk, error, 'running the cell');
    if (mapped instanceof SessionLostError) return this.#lost(live, error);
    this.lifecycle.failed(mapped.message);
    throw mapped;
  }

  #lost(live: Live, error: unknown): never {
    this.forgetLive();
    const lost = new SessionLostError(
      `The E2B sandbox ${live.handle.sandboxId} is gone (it expired or was killed), so the session's variables and files were lost. Run the code again to start a new sandbox.`,
      { cause: error },
    );
    this.lifecycle.failed(lost.message);
    throw lost;
  }

  #map(sdk: E2BSdk, error: unknown, action: string): SandboxError {
    return mapE2BError(error, sdk.errors, { action, requestTimeoutMs: this.config.requestTimeoutMs });
  }
}

/** Settles with the promise, or rejects with the signal's reason as soon as it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    // The signal may already have fired while the request was being started.
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
