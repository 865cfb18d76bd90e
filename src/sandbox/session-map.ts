/**
 * The identifier → session bookkeeping every backend's `Sandbox` does: the same identifier gets
 * the same open session, a closed session leaves the map, and `close()` closes what is still open.
 */
import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import type { SandboxSession } from './types.js';

export class SessionMap<Session extends SandboxSession> {
  readonly #sessions = new Map<string, Session>();

  /**
   * The open session for `identifier`, else a new one from `open`. `open` gets the callback the
   * session must call when it closes, so a later call with the same identifier starts afresh.
   */
  get(identifier: string, open: (forget: () => void) => Session): Session {
    const existing = this.#sessions.get(identifier);
    if (existing) return existing;
    const session = open(() => this.#sessions.delete(identifier));
    this.#sessions.set(identifier, session);
    return session;
  }

  /** Closes every open session at once (each one leaves the map as it closes). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((session) => session.close()));
  }
}

/**
 * The `Sandbox` side of backends whose identifiers follow checkSessionIdentifier (Local, E2B,
 * Daytona): one open session per identifier, a fresh UUID when none is given, and close/dispose
 * that end every open session. A backend only says how to open one.
 */
export abstract class SessionMapSandbox<Session extends SandboxSession> {
  readonly #sessions = new SessionMap<Session>();

  session(identifier: string = randomUUID()): Session {
    return this.#sessions.get(checkSessionIdentifier(identifier), (forget) => this.openSession(identifier, forget));
  }

  async close(): Promise<void> {
    await this.#sessions.closeAll();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A new session for `identifier`; it must call `forget` when it closes. */
  protected abstract openSession(identifier: string, forget: () => void): Session;
}

/** The identifier rule of backends whose service has none of its own (Local, E2B, Daytona). */
export function checkSessionIdentifier(identifier: unknown): string {
  if (typeof identifier !== 'string' || identifier.length === 0 || identifier.length > 256) {
    throw new InvalidInputError('Session identifier must be 1 to 256 characters.');
  }
  return identifier;
}
