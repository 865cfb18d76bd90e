/**
 * The one place Sandbox-E2B touches `@e2b/code-interpreter`: the narrow shapes it uses, built from
 * the SDK's own types (a change in the SDK breaks compilation here), and a lazy loader so the CLI
 * does not pay for the SDK unless an E2B session is actually used.
 */
import type {
  AuthenticationError,
  CommandResult,
  Context,
  CreateCodeContextOpts,
  EntryInfo,
  Execution,
  FileNotFoundError,
  FilesystemWriteOpts,
  InvalidArgumentError,
  NotEnoughSpaceError,
  NotFoundError,
  RateLimitError,
  Result,
  RunCodeOpts,
  Sandbox as SdkSandbox,
  SandboxConnectOpts,
  SandboxError,
  SandboxNotFoundError,
  SandboxOpts,
  ServiceBusyError,
  TimeoutError,
  Username,
  WriteInfo,
} from '@e2b/code-interpreter';
import { loadSdk, type Fits } from '../../sdk-loader.js';

/** One displayed value or the last expression of a cell: the representations we read. */
export type E2BResult = Pick<Result, 'isMainResult' | 'text' | 'png' | 'jpeg' | 'svg'>;

/** What `runCode` resolves to, limited to the fields the backend reads. */
export type E2BExecution = Pick<Execution, 'logs' | 'error'> & { results: E2BResult[] };

export type E2BContext = Context;
export type E2BEntry = Pick<EntryInfo, 'name' | 'type' | 'path' | 'size' | 'modifiedTime'>;

/** The members of a running E2B sandbox that Sandbox-E2B calls. */
export interface E2BSandboxHandle {
  readonly sandboxId: string;
  runCode(code: string, opts: RunCodeOpts & { context?: Context }): Promise<E2BExecution>;
  createCodeContext(opts?: CreateCodeContextOpts): Promise<Context>;
  restartCodeContext(context: Context | string): Promise<void>;
  setTimeout(timeoutMs: number): Promise<void>;
  kill(): Promise<boolean>;
  readonly files: {
    write(path: string, data: ArrayBuffer, opts?: FilesystemWriteOpts): Promise<WriteInfo>;
    read(path: string, opts: { format: 'bytes' }): Promise<Uint8Array>;
    list(path: string, opts?: { depth?: number }): Promise<E2BEntry[]>;
    remove(path: string): Promise<void>;
  };
  readonly commands: {
    run(cmd: string, opts?: { user?: Username; timeoutMs?: number }): Promise<Pick<CommandResult, 'exitCode' | 'stdout' | 'stderr'>>;
  };
}

/** How Sandbox-E2B creates and reconnects sandboxes (the SDK's static `Sandbox.create` / `Sandbox.connect`). */
export interface E2BSandboxFactory {
  create(opts: SandboxOpts): Promise<E2BSandboxHandle>;
  connect(sandboxId: string, opts: SandboxConnectOpts): Promise<E2BSandboxHandle>;
}

/** The SDK's error classes, which errors are mapped by (see e2b-errors.ts). */
export interface E2BErrorClasses {
  AuthenticationError: typeof AuthenticationError;
  RateLimitError: typeof RateLimitError;
  ServiceBusyError: typeof ServiceBusyError;
  TimeoutError: typeof TimeoutError;
  SandboxNotFoundError: typeof SandboxNotFoundError;
  FileNotFoundError: typeof FileNotFoundError;
  NotFoundError: typeof NotFoundError;
  InvalidArgumentError: typeof InvalidArgumentError;
  NotEnoughSpaceError: typeof NotEnoughSpaceError;
  SandboxError: typeof SandboxError;
}

export interface E2BSdk {
  Sandbox: E2BSandboxFactory;
  errors: E2BErrorClasses;
}

// Compile-time proof that the real SDK objects fit the narrow shapes above.
const _handleFits: Fits<SdkSandbox, E2BSandboxHandle> = true;
void _handleFits;

/** Imports the SDK on first use; tests pass `sdk` in the backend options instead. */
export function loadE2BSdk(injected: Partial<E2BSdk> = {}): Promise<E2BSdk> {
  return loadSdk(injected, ['Sandbox', 'errors'], async () => {
    const sdk = await import('@e2b/code-interpreter');
    return {
      Sandbox: {
        create: (opts) => sdk.Sandbox.create(opts),
        connect: (sandboxId, opts) => sdk.Sandbox.connect(sandboxId, opts),
      },
      errors: sdk,
    };
  });
}
