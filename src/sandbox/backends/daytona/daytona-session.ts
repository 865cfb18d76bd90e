/**
 * One Tidepool session = one Daytona sandbox with one interpreter context (a Python process whose
 * globals persist) working in /mnt/data. Created on first use, reconnected by sandbox id when
 * another instance sharing the registry made it, deleted on close().
 */
import { MOUNT_POINT } from '../../../kernel/data-paths.js';
import { CloudSession, type CloudSessionConfig, type CloudSessionRecord } from '../../cloud-session.js';
import { dataName } from '../../data-name.js';
import { SessionAllocationError, SessionLostError, type SandboxError } from '../../../errors.js';
import { requireLanguage } from '../../languages.js';
import type { ExecuteOptions, ExecutionResult, FileInfo, Language, SandboxSession } from '../../types.js';
import { mapDaytonaError } from './daytona-errors.js';
import { cellResult, runCell } from './daytona-cell.js';
import type { DaytonaClient, DaytonaContext, DaytonaSandboxHandle, DaytonaSdk } from './daytona-sdk.js';

export type DaytonaSessionRecord = CloudSessionRecord<DaytonaContext>;

export interface DaytonaSessionConfig extends CloudSessionConfig<DaytonaContext> {
  /** Resolves the client; throws ConfigurationError naming DAYTONA_API_KEY before any network use. */
  client(): Promise<{ client: DaytonaClient; sdk: DaytonaSdk }>;
  autoStopMinutes: number;
  requestTimeoutMs: number;
  outputLimitBytes: number;
}

/** Default Daytona images run as a sudo-capable user who does not own /mnt. */
const PREPARE_DATA_DIR = `sh -c 'mkdir -p ${MOUNT_POINT} 2>/dev/null || sudo mkdir -p ${MOUNT_POINT}; [ -w ${MOUNT_POINT} ] || sudo chown "$(id -u):$(id -g)" ${MOUNT_POINT}; [ -w ${MOUNT_POINT} ]'`;

const STATE_LOST_NOTICE =
  "[tidepool] This session's previous Daytona interpreter had gone (sandbox deleted or context restarted), so its variables were lost; a fresh one was started.\n";

export interface Live {
  handle: DaytonaSandboxHandle;
  context: DaytonaContext;
  sdk: DaytonaSdk;
  /** Cells that completed in this context; a fresh runner after the first one means state was lost. */
  cellsRun: number;
}

interface DaytonaAccess {
  client: DaytonaClient;
  sdk: DaytonaSdk;
}

/** Cells run through Tidepool's Python cell program in the Daytona sandbox; other languages are refused with where they run. */
export const DAYTONA_LANGUAGES: readonly Language[] = ['python'];

/** `access` is the shared client: resolving it checks DAYTONA_API_KEY and loads the SDK. */
export class DaytonaSession extends CloudSession<Live, DaytonaAccess, DaytonaSessionConfig> implements SandboxSession {
  readonly sandboxType = 'Sandbox-Daytona' as const;
  protected readonly stateLostNotice = STATE_LOST_NOTICE;

  async execute(code: string, options?: ExecuteOptions): Promise<ExecutionResult> {
    requireLanguage(options?.language, 'Sandbox-Daytona', DAYTONA_LANGUAGES);
    const { live, timeoutMs, signal } = await this.startCell(code, options);
    let notice = this.takeNotice();
    this.lifecycle.executing();
    const startedAt = this.config.clock();
    const ran = await runCell(live, code, { timeoutMs, signal, outputLimitBytes: this.config.outputLimitBytes }).catch((error: unknown) =>
      this.#failed(live, error),
    );
    if (ran.kind === 'aborted' || ran.kind === 'timed-out') {
      // The cell may still be running remotely: only a new context is sure to stop it.
      await this.#replaceContext(live);
    }
    if (ran.kind === 'aborted') {
      this.lifecycle.failed('aborted');
      throw signal!.reason;
    }
    if (ran.kind === 'done' && ran.fresh && live.cellsRun > 0 && !notice) notice = STATE_LOST_NOTICE;
    if (ran.kind === 'done') live.cellsRun += 1;
    const result = cellResult(ran, timeoutMs, Math.round(this.config.clock() - startedAt));
    if (result.status === 'success') this.lifecycle.finished();
    else this.lifecycle.failed(`${result.error?.type}: ${result.error?.message}`);
    return { ...result, stderr: notice + result.stderr };
  }

  async upload(name: string, data: Uint8Array): Promise<FileInfo> {
    const relative = dataName(name);
    const live = await this.ensure();
    await this.call(live, `writing "${relative}"`, () => live.handle.fs.uploadFile(Buffer.from(data), `${MOUNT_POINT}/${relative}`));
    return { name: relative, sizeBytes: data.byteLength, lastModified: new Date() };
  }

  async download(name: string): Promise<Uint8Array> {
    const relative = dataName(name);
    const live = await this.ensure();
    const buffer = await this.call(live, `reading "${relative}"`, () => live.handle.fs.downloadFile(`${MOUNT_POINT}/${relative}`));
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  async list(): Promise<FileInfo[]> {
    const live = await this.ensure();
    const files: FileInfo[] = [];
    const walk = async (relativeDir: string): Promise<void> => {
      const dir = relativeDir ? `${MOUNT_POINT}/${relativeDir}` : MOUNT_POINT;
      const entries = await this.call(live, `listing ${dir}`, () => live.handle.fs.listFiles(dir));
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const name = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
        if (entry.isDir) await walk(name);
        else files.push({ name, sizeBytes: entry.size, lastModified: new Date(entry.modTime) });
      }
    };
    await walk('');
    return files;
  }

  async delete(name: string): Promise<void> {
    const relative = dataName(name);
    const live = await this.ensure();
    await this.call(live, `deleting "${relative}"`, () => live.handle.fs.deleteFile(`${MOUNT_POINT}/${relative}`));
  }

  protected access(): Promise<DaytonaAccess> {
    return this.config.client();
  }

  protected sandboxIdOf(live: Live): string {
    return live.handle.id;
  }

  protected async release(live: Live): Promise<void> {
    // Best effort: a sandbox that is already gone is what we wanted.
    await live.handle.delete().catch(() => undefined);
  }

  protected mapError(live: Live, error: unknown, action: string): SandboxError {
    return this.#map(live.sdk, error, action);
  }

  protected async reconnect({ client, sdk }: DaytonaAccess, record: DaytonaSessionRecord): Promise<Live | undefined> {
    try {
      const handle = await client.get(record.sandboxId);
      // A sandbox Daytona auto-stopped keeps its files but not its processes.
      if (handle.state !== undefined && handle.state !== 'started') {
        await handle.start();
        this.noteStateLost();
      }
      return { handle, context: record.context, sdk, cellsRun: 1 };
    } catch (error) {
      if (!(error instanceof sdk.errors.DaytonaNotFoundError || error instanceof sdk.errors.DaytonaGoneError)) {
        throw this.#map(sdk, error, `reconnecting to sandbox ${record.sandboxId}`);
      }
      this.forgetLive();
      return undefined;
    }
  }

  protected async create({ client, sdk }: DaytonaAccess): Promise<Live> {
    let handle: DaytonaSandboxHandle;
    try {
      handle = await client.create(
        { language: 'python', labels: { 'tidepool-session': this.identifier.slice(0, 63) }, autoStopInterval: this.config.autoStopMinutes, envVars: { MPLBACKEND: 'Agg' } },
        { timeout: Math.ceil(this.config.requestTimeoutMs / 1000) },
      );
    } catch (error) {
      throw this.#map(sdk, error, 'creating a Daytona sandbox');
    }
    try {
      const prepared = await handle.process.executeCommand(PREPARE_DATA_DIR);
      if (prepared.exitCode !== 0) throw new SessionAllocationError(`Could not create a writable ${MOUNT_POINT} in the Daytona sandbox: ${prepared.result.trim()}`);
      const context = await handle.codeInterpreter.createContext(MOUNT_POINT);
      return { handle, context, sdk, cellsRun: 0 };
    } catch (error) {
      // A half-prepared sandbox would only cost money until it auto-stops.
      await handle.delete().catch(() => undefined);
      throw error instanceof SessionAllocationError ? error : this.#map(sdk, error, 'preparing the Daytona sandbox');
    }
  }

  /** Drops the context (ending whatever still runs in it) and starts a clean one. */
  async #replaceContext(live: Live): Promise<void> {
    await live.handle.codeInterpreter.deleteContext(live.context).catch(() => undefined);
    try {
      live.context = await live.handle.codeInterpreter.createContext(MOUNT_POINT);
      live.cellsRun = 0;
      this.remember(live);
    } catch (error) {
      this.#lost(live, error);
    }
  }

  #failed(live: Live, error: unknown): never {
    const mapped = this.#map(live.sdk, error, 'running the cell');
    if (mapped instanceof SessionLostError || mapped.code === 'not_found') this.#lost(live, error);
    this.lifecycle.failed(mapped.message);
    throw mapped;
  }

  #lost(live: Live, error: unknown): never {
    this.forgetLive();
    const lost = new SessionLostError(
      `The Daytona sandbox ${live.handle.id} is gone or its interpreter could not be restarted, so the session's variables were lost. Run the code again to start a new sandbox.`,
      { cause: error },
    );
    this.lifecycle.failed(lost.message);
    throw lost;
  }

  #map(sdk: DaytonaSdk, error: unknown, action: string): SandboxError {
    return mapDaytonaError(error, sdk.errors, { action, timeoutMs: this.config.requestTimeoutMs });
  }
}
