/**
 * Spans and metrics around any `Sandbox`: each execution, file operation and close of its sessions
 * becomes a span (backend, hashed identifier, duration, status); executions and live sessions are
 * counted. The wrapper adds nothing else, so every backend behaves exactly as before.
 */
import type { ExecuteOptions, ExecutionResult, FileInfo, Sandbox, SandboxSession, SandboxType } from './types.js';
import type { LifecycleListener } from './lifecycle.js';
import { ATTR, hashIdentifier } from '../telemetry/attributes.js';
import { recorders, type Recorders } from '../telemetry/recorders.js';

const INSTRUMENTED = Symbol.for('tidepool.telemetry.instrumented');

type Signalled = { signal?: AbortSignal };

/** What a wrapped call may note on its span; a call made while nothing records notes into nothing. */
interface SpanNotes {
  setAttribute(key: string, value: string | number | boolean): unknown;
}

const NOT_RECORDING: SpanNotes = { setAttribute: () => undefined };

class InstrumentedSession implements SandboxSession {
  readonly delete?: (name: string, options?: Signalled) => Promise<void>;

  constructor(private readonly inner: SandboxSession) {
    if (inner.delete) {
      const remove = inner.delete.bind(inner);
      this.delete = (name, options) => this.#span('tidepool.file.delete', {}, () => remove(name, options));
    }
  }

  get identifier(): string {
    return this.inner.identifier;
  }

  get sandboxType(): SandboxType {
    return this.inner.sandboxType;
  }

  execute(code: string, options?: ExecuteOptions): Promise<ExecutionResult> {
    const attributes: Record<string, string | number> = { [ATTR.language]: options?.language ?? 'python' };
    if (options?.timeoutMs !== undefined) attributes[ATTR.timeoutMs] = options.timeoutMs;
    return this.#span('tidepool.execute', attributes, async (span, recorded) => {
      const startedAt = performance.now();
      try {
        const result = await this.inner.execute(code, options);
        span.setAttribute(ATTR.status, result.status);
        recorded?.recordExecution(this.sandboxType, result.status, performance.now() - startedAt);
        return result;
      } catch (error) {
        recorded?.recordExecution(this.sandboxType, 'error', performance.now() - startedAt);
        throw error;
      }
    });
  }

  upload(name: string, data: Uint8Array, options?: Signalled): Promise<FileInfo> {
    return this.#span('tidepool.file.upload', { [ATTR.fileBytes]: data.byteLength }, () => this.inner.upload(name, data, options));
  }

  download(name: string, options?: Signalled): Promise<Uint8Array> {
    return this.#span('tidepool.file.download', {}, async (span) => {
      const bytes = await this.inner.download(name, options);
      span.setAttribute(ATTR.fileBytes, bytes.byteLength);
      return bytes;
    });
  }

  list(options?: Signalled): Promise<FileInfo[]> {
    return this.#span('tidepool.file.list', {}, async (span) => {
      const files = await this.inner.list(options);
      span.setAttribute(ATTR.fileCount, files.length);
      return files;
    });
  }

  close(): Promise<void> {
    return this.#span('tidepool.session.close', {}, () => this.inner.close());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #span<T>(name: string, attributes: Record<string, string | number>, fn: (span: SpanNotes, recorded?: Recorders) => Promise<T>): Promise<T> {
    const loading = recorders();
    if (!loading) return fn(NOT_RECORDING);
    const recorded = await loading;
    return recorded.inSpan(name, { [ATTR.backend]: this.sandboxType, [ATTR.sessionHash]: hashIdentifier(this.identifier), ...attributes }, (span) => fn(span, recorded));
  }
}

/**
 * Instruments a sandbox in place: its `session()` hands out sessions wrapped with spans, and the
 * sandbox stays the backend's own object (so `instanceof` and backend-specific members still work).
 * A sandbox is instrumented once; later calls return it unchanged.
 */
export function instrumentSandbox<S extends Sandbox>(sandbox: S): S {
  const target = sandbox as Sandbox & { [INSTRUMENTED]?: boolean };
  if (target[INSTRUMENTED]) return sandbox;
  const open = sandbox.session.bind(sandbox);
  // The backend hands back the same object for the same identifier; so does the wrapper.
  const wrappers = new WeakMap<SandboxSession, InstrumentedSession>();
  target.session = (identifier?: string) => {
    const session = open(identifier);
    let wrapped = wrappers.get(session);
    if (!wrapped) {
      wrapped = new InstrumentedSession(session);
      wrappers.set(session, wrapped);
    }
    return wrapped;
  };
  Object.defineProperty(target, INSTRUMENTED, { value: true });
  return sandbox;
}

/**
 * A lifecycle listener that turns a session's first `ready` into a `tidepool.session.allocate`
 * span (its timing comes from the lifecycle, which measured it) and keeps the live-session count.
 * Events still reach `next`.
 */
export function lifecycleTelemetry(next?: LifecycleListener): LifecycleListener {
  // Sessions whose opening was recorded: only those are counted down when they close, so a provider
  // registered while a session was open never sees it close without having seen it open.
  const counted = new Set<string>();
  const seen = new Set<string>();
  return (event) => {
    const key = `${event.sandboxType}|${event.identifier}`;
    if (event.phase === 'ready' && !seen.has(key)) {
      seen.add(key);
      const loading = recorders();
      if (loading) {
        counted.add(key);
        const end = new Date();
        const start = new Date(end.getTime() - (event.stepMs ?? 0));
        void loading.then((recorded) => {
          recorded.recordSessionOpened(event.sandboxType);
          recorded.recordPastSpan(
            'tidepool.session.allocate',
            { [ATTR.backend]: event.sandboxType, [ATTR.sessionHash]: hashIdentifier(event.identifier), [ATTR.durationMs]: event.stepMs ?? 0, [ATTR.reused]: event.reused ?? false },
            start,
            end,
          );
        });
      }
    } else if (event.phase === 'closed') {
      seen.delete(key);
      if (counted.delete(key)) void recorders()?.then((recorded) => recorded.recordSessionClosed(event.sandboxType));
    }
    next?.(event);
  };
}
