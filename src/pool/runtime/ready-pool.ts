/**
 * Pre-forked sessions waiting for an identifier. Refilled in the background, so a new
 * identifier costs a hand-over instead of a fork plus namespace setup.
 */
import type { Logger } from 'pino';
import type { SessionProcess } from './session-process.js';

/**
 * Sessions started at once while refilling. A start is mostly waiting (the zygote forks, the
 * session's setup process builds its namespaces and mounts, the server makes its cgroup, the
 * kernel connects), so two overlap well on a small machine and refill a burst about twice as
 * fast as one; more would take CPU from the executions the pool is serving meanwhile.
 */
const REFILL_CONCURRENCY = 2;

export class ReadyPool {
  readonly #ready: SessionProcess[] = [];
  #starting = 0;
  #closed = false;
  #failures = 0;
  #waiters: (() => void)[] = [];

  constructor(
    private readonly create: () => Promise<SessionProcess>,
    /** How many to keep ready right now (the target shrinks as the pool fills). */
    private readonly target: () => number,
    private readonly logger?: Logger,
  ) {}

  get size(): number {
    return this.#ready.length;
  }

  /** A ready session, or undefined when none is left (the caller then forks one itself). */
  take(): SessionProcess | undefined {
    while (this.#ready.length > 0) {
      const session = this.#ready.shift()!;
      if (session.kernelAlive) {
        this.refill();
        return session;
      }
    }
    this.refill();
    return undefined;
  }

  /** Resolves once one session is ready (or refilling gave up). */
  whenOneReady(): Promise<void> {
    if (this.#ready.length > 0 || this.target() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  refill(): void {
    if (this.#closed || this.#starting >= REFILL_CONCURRENCY || this.#ready.length + this.#starting >= this.target()) return;
    this.#starting++;
    void this.create()
      .then((session) => {
        this.#failures = 0;
        if (this.#closed) {
          session.kill();
          return;
        }
        this.#ready.push(session);
        void session.exited.then(() => {
          const index = this.#ready.indexOf(session);
          if (index >= 0) this.#ready.splice(index, 1);
          this.refill();
        });
      })
      .catch((error: unknown) => {
        // A start cut short by the pool's own shutdown is not a failure worth a warning.
        if (this.#closed) return;
        this.#failures++;
        this.logger?.warn({ err: error }, 'pool could not pre-fork a ready session');
      })
      .finally(() => {
        this.#starting--;
        this.#wake();
        // Back off after repeated failures instead of spinning on a broken sandbox.
        if (this.#failures === 0) this.refill();
        else if (this.#failures < 5) setTimeout(() => this.refill(), 200 * 2 ** this.#failures).unref();
      });
    // Up to REFILL_CONCURRENCY starts at once, but none while starts are failing.
    if (this.#failures === 0) this.refill();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    waiters.forEach((wake) => wake());
  }

  /** Ends every ready session. */
  close(): SessionProcess[] {
    this.#closed = true;
    this.#wake();
    return this.#ready.splice(0);
  }
}
