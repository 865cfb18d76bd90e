/**
 * Notices when a conversation's sandbox session was replaced behind its back (the pool's idle
 * cooldown, a restarted server or pool, an expired cloud sandbox), so the person and the model
 * are told that earlier variables and files are gone instead of meeting a puzzling NameError.
 *
 * Before the first cell of each tool call, a one-line probe looks for a marker variable in the
 * session's namespace and sets it. A session that ran cells before but has no marker is a new
 * one. Backends that know they lost state say so at the start of the next cell's stderr; the
 * probe is that next cell, so its notice is carried over too.
 */
import type { ExecuteOptions, ExecutionResult, Sandbox, SandboxSession } from '../sandbox/types.js';

/** Shown in the tool card and put before the cell's stderr, which is what the model reads. */
export const SESSION_RESET_NOTICE = 'New sandbox session — earlier variables and files are gone.';
/** The same when the backend says it restarted only the interpreter and kept the session's files. */
export const KERNEL_RESTART_NOTICE = 'New Python kernel — earlier variables are gone; the files in /mnt/data were kept.';

const MARKER = '__tidepool_session_mark__';
/** True when the marker was there; sets it either way. */
const PROBE_CODE = `'${MARKER}' in globals() or globals().__setitem__('${MARKER}', True)`;
const PROBE_TIMEOUT_MS = 60_000;
/** Backends start the first cell after a loss with a line like this (see the pool and cloud sessions). */
const BACKEND_NOTICE = /^\[tidepool\][^\n]*\blost\b[^\n]*\n?/;
/** Sessions remembered as used, per process; old ones are forgotten first. */
const MAX_REMEMBERED_SESSIONS = 10_000;

export interface ContinuityHooks {
  /** Called once per probe that found a replaced session, before the real cell runs. */
  onReset(message: string): void;
  /** Brackets the probe so its own executing/finished events can be left out of the call's timeline. */
  onProbe(running: boolean): void;
}

/** Remembers which sessions ran cells in this process. */
export class SessionContinuity {
  readonly #used = new Set<string>();

  wasUsed(sessionId: string): boolean {
    return this.#used.has(sessionId);
  }

  markUsed(sessionId: string): void {
    this.#used.delete(sessionId);
    this.#used.add(sessionId);
    if (this.#used.size > MAX_REMEMBERED_SESSIONS) this.#used.delete(this.#used.values().next().value!);
  }

  /**
   * The sandbox as the tools of one turn see it: the first cell of `sessionId` in each tool call
   * is preceded by the probe. `usedBefore` says the session ran cells in an earlier turn (from the
   * stored conversation, which survives restarts).
   */
  watch(sandbox: Sandbox, sessionId: string, usedBefore: boolean, hooks: ContinuityHooks): { sandbox: Sandbox; nextCall(): void } {
    let probed = false;
    const wasUsed = () => usedBefore || this.wasUsed(sessionId);
    const markUsed = () => this.markUsed(sessionId);
    const wrapSession = (session: SandboxSession): SandboxSession =>
      new Proxy(session, {
        get(target, property) {
          if (property !== 'execute') return own(target, property);
          return async (code: string, options?: ExecuteOptions): Promise<ExecutionResult> => {
            let notice = '';
            // The marker is a Python variable: other languages' state is not probed.
            if (!probed && (options?.language ?? 'python') === 'python') {
              probed = true;
              notice = await probe(target, wasUsed(), options?.signal, hooks);
            }
            markUsed();
            const result = await target.execute(code, options);
            return notice ? { ...result, stderr: `${notice}\n${result.stderr}` } : result;
          };
        },
      });
    const watched = new Proxy(sandbox, {
      get(target, property) {
        if (property !== 'session') return own(target, property);
        return (identifier?: string) => {
          const session = target.session(identifier);
          return identifier === sessionId ? wrapSession(session) : session;
        };
      },
    });
    return { sandbox: watched, nextCall: () => (probed = false) };
  }
}

/** The notice owed to the cell, or '' when the session is the one that ran the earlier cells. */
async function probe(session: SandboxSession, usedBefore: boolean, signal: AbortSignal | undefined, hooks: ContinuityHooks): Promise<string> {
  hooks.onProbe(true);
  let result: ExecutionResult;
  try {
    result = await session.execute(PROBE_CODE, { timeoutMs: PROBE_TIMEOUT_MS, signal });
  } catch {
    // The real cell will meet the same trouble and report it in its own words.
    return '';
  } finally {
    hooks.onProbe(false);
  }
  const backendNotice = BACKEND_NOTICE.exec(result.stderr)?.[0].trim() ?? '';
  const markerFound = result.result === true || result.result === 'True';
  if (!backendNotice && (markerFound || !usedBefore)) return '';
  const headline = /files were kept|files in \/mnt\/data were kept/.test(backendNotice) ? KERNEL_RESTART_NOTICE : SESSION_RESET_NOTICE;
  const message = backendNotice ? `${headline} ${backendNotice.replace(/^\[tidepool\]\s*/, '(')})` : headline;
  hooks.onReset(message);
  return `[tidepool] ${message}`;
}

/** A member of the real object, methods bound to it: backends keep state in private fields, which a proxy cannot reach. */
function own(target: object, property: string | symbol): unknown {
  const value = Reflect.get(target, property, target) as unknown;
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}
