/**
 * The one place Sandbox-Daytona touches `@daytonaio/sdk`: the narrow shapes it uses, built from
 * the SDK's own types (a change in the SDK breaks compilation here), and a lazy loader so the CLI
 * does not pay for the SDK unless a Daytona session is actually used.
 */
import type {
  CreateSandboxFromSnapshotParams,
  DaytonaAuthenticationError,
  DaytonaBadRequestError,
  DaytonaConfig,
  DaytonaConnectionError,
  DaytonaError,
  DaytonaFileNotFoundError,
  DaytonaForbiddenError,
  DaytonaGoneError,
  DaytonaNotFoundError,
  DaytonaRateLimitError,
  DaytonaServiceUnavailableError,
  DaytonaTimeoutError,
  ExecutionResult,
  FileInfo,
  Process,
  RunCodeOptions,
  Sandbox as SdkSandbox,
  Daytona as SdkDaytona,
} from '@daytonaio/sdk';
import { loadSdk, type Fits } from '../../sdk-loader.js';

/** An interpreter context: one Python process whose globals persist between cells. */
export type DaytonaContext = Awaited<ReturnType<SdkSandbox['codeInterpreter']['createContext']>>;
export type DaytonaExecution = ExecutionResult;
export type DaytonaFileEntry = Pick<FileInfo, 'name' | 'isDir' | 'size' | 'modTime'>;
export type DaytonaCommandResult = Pick<Awaited<ReturnType<Process['executeCommand']>>, 'exitCode' | 'result'>;

/** The members of a Daytona sandbox that Sandbox-Daytona calls. */
export interface DaytonaSandboxHandle {
  readonly id: string;
  readonly state?: SdkSandbox['state'];
  start(timeout?: number): Promise<void>;
  delete(timeout?: number): Promise<void>;
  readonly fs: {
    uploadFile(file: Buffer, remotePath: string, timeout?: number): Promise<void>;
    downloadFile(remotePath: string, timeout?: number): Promise<Buffer>;
    listFiles(path: string): Promise<DaytonaFileEntry[]>;
    deleteFile(path: string, recursive?: boolean): Promise<void>;
  };
  readonly codeInterpreter: {
    runCode(code: string, options?: RunCodeOptions): Promise<DaytonaExecution>;
    createContext(cwd?: string): Promise<DaytonaContext>;
    deleteContext(context: DaytonaContext): Promise<void>;
  };
  readonly process: {
    executeCommand(command: string, cwd?: string, env?: Record<string, string>, timeout?: number): Promise<DaytonaCommandResult>;
  };
}

/** The client: `new Daytona({ apiKey, apiUrl, target })`, then `create` and `get`. */
export interface DaytonaClient {
  create(params?: CreateSandboxFromSnapshotParams, options?: { timeout?: number }): Promise<DaytonaSandboxHandle>;
  get(sandboxIdOrName: string): Promise<DaytonaSandboxHandle>;
}

export type DaytonaClientConstructor = new (config: DaytonaConfig) => DaytonaClient;

/** The SDK's error classes, which errors are mapped by (see daytona-errors.ts). */
export interface DaytonaErrorClasses {
  DaytonaError: typeof DaytonaError;
  DaytonaAuthenticationError: typeof DaytonaAuthenticationError;
  DaytonaForbiddenError: typeof DaytonaForbiddenError;
  DaytonaNotFoundError: typeof DaytonaNotFoundError;
  DaytonaFileNotFoundError: typeof DaytonaFileNotFoundError;
  DaytonaGoneError: typeof DaytonaGoneError;
  DaytonaTimeoutError: typeof DaytonaTimeoutError;
  DaytonaRateLimitError: typeof DaytonaRateLimitError;
  DaytonaServiceUnavailableError: typeof DaytonaServiceUnavailableError;
  DaytonaConnectionError: typeof DaytonaConnectionError;
  DaytonaBadRequestError: typeof DaytonaBadRequestError;
}

export interface DaytonaSdk {
  Daytona: DaytonaClientConstructor;
  errors: DaytonaErrorClasses;
}

// Compile-time proof that the real SDK classes fit the narrow shapes above.
const _sandboxFits: Fits<SdkSandbox, DaytonaSandboxHandle> = true;
const _clientFits: Fits<typeof SdkDaytona, DaytonaClientConstructor> = true;
void _sandboxFits;
void _clientFits;

/** Imports the SDK on first use; tests pass `sdk` in the backend options instead. */
export function loadDaytonaSdk(injected: Partial<DaytonaSdk> = {}): Promise<DaytonaSdk> {
  return loadSdk(injected, ['Daytona', 'errors'], async () => {
    const sdk = await import('@daytonaio/sdk');
    return { Daytona: sdk.Daytona, errors: sdk };
  });
}
