/**
 * Pre-forked sessions waiting for an identifier, so a new identifier costs a hand-over instead of
 * a fork plus namespace setup.
 *
 * How many are kept ready follows demand: at rest the pool keeps `minReady` (readySessions). Under a
 * sustained rate of new identifiers it keeps what that rate takes in START_LEAD_MS (the time a start
 * takes, with room to spare), up to `maxReady` (maxReadySessions): at 100 a second, ten. Once no
 * identifier has been handed a session for IDLE_TRIM_MS, sessions above the resting target are
 * ended, which gives their memory back.
 *
 * A caller that finds none ready waits for the next one to start instead of starting its own: every
 * start goes through here, so under a burst no more of them run at once than the machine can
 * overlap, and callers are served in arrival order.
 */
import type { Logger } from 'pino';

/** What the pool needs of a session: whether it can still run code, its end, and a way to end it. */
export interface ReadySession {
  readonly kernelAlive: boolean;
  readonly exited: Promise<unknown>;
  kill(): void;
}

export interface ReadyPoolOptions<S extends ReadySession> {
  create: () => Promise<S>;
  /** Sessions kept ready while nothing is asked for (the readySessions setting). */
  minReady: number;
  /** The most the target may grow to under demand (the maxReadySessions setting). */
  maxReady: number;
  /** How many more sessions the pool may hold now (maxSessions minus those in use). */
  room: () => number;
  logger?: Logger;
}

/**
 * Starts run at once. A start is partly waiting (the zygote forks, the session's setup process
 * builds its namespaces and mounts, the server makes its cgroup, the kernel connects) and partly
 * CPU (~14 ms of it, mostly the kernel's work for forks and namespaces). At rest two overlap
 * without taking much from the executions being served. When callers wait, or the target is
 * raised, six run at once: on two busy cores that started ~60 sessions a second where one at a
 * time managed 35-50, and ten gained nothing more. Starting one per waiting caller, as before, ran
 * a hundred at once in a burst.
 */
export const STARTS_AT_REST = 2;
export const STARTS_UNDER_DEMAND = 6;
/** Hand-overs counted as the current rate of new identifiers. */
export const DEMAND_WINDOW_MS = 1_000;
/** The target covers what the current rate takes in this long. */
export const START_LEAD_MS = 100;
/** How long without a hand-over before sessions above the resting target are ended. */
export const IDLE_TRIM_MS = 30_000;

interface Waiter<S> {
  resolve: (session: S) => void;
  reject: (error: unknown) => void;
}

export class ReadyPool<S extends ReadySession> {
  readonly #options: ReadyPoolOptions<S>;
  readonly #ready: S[] = [];
  /** Callers waiting for a session, oldest first. */
  readonly #waiters: Waiter<S>[] = [];
  /** When recent hand-overs happened (performance.now()), oldest first. */
  readonly #handOvers: number[] = [];
  #lastHandOver = Number.NEGATIVE_INFINITY;
  #starting = 0;
  #closed = false;
  #failures = 0;
  #trimTimer: NodeJS.Timeout | undefined;
  #readyWaiters: (() => void)[] = [];

  constructor(options: ReadyPoolOptions<S>) {
    this.#options = options;
  }

  get size(): number {
    return this.#ready.length;
  }

  /** How many sessions the pool wants ready now: the resting number, raised by recent demand. */
  get target(): number {
    const now = performance.now();
    while (this.#handOvers.length > 0 && now - this.#handOvers[0]! > DEMAND_WINDOW_MS) this.#handOvers.shift();
    const coverRate = Math.ceil((this.#handOvers.length * START_LEAD_MS) / DEMAND_WINDOW_MS);
    const wanted = Math.min(this.#options.maxReady, Math.max(this.#options.minReady, coverRate));
    return Math.max(0, Math.min(wanted, this.#options.room()));
  }

  /** A session for a new identifier: a ready one, else the next one to finish starting. */
  acquire(): Promise<S> {
    if (this.#closed) return Promise.reject(new Error('the ready pool is closed'));
    this.#recordHandOver();
    const session = this.#takeAlive();
    const handed = session ? Promise.resolve(session) : new Promise<S>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.refill();
    return handed;
  }

  /** Resolves once one session is ready (or refilling gave up). */
  whenOneReady(): Promise<void> {
    if (this.#ready.length > 0 || this.target === 0) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  refill(): void {
    if (this.#closed) return;
    // Read first: it also forgets hand-overs older than the demand window.
    const target = this.target;
    const demand = this.#waiters.length > 0 || target > this.#options.minReady;
    // While starts fail, one at a time: a probe, not a storm against a broken sandbox.
    const concurrency = this.#failures > 0 ? 1 : demand ? STARTS_UNDER_DEMAND : STARTS_AT_REST;
    while (this.#starting < concurrency && this.#ready.length + this.#starting < this.#waiters.length + target) this.#start();
  }

  /** Ends refilling; callers still waiting get `reason`. Returns the ready sessions for the caller to end. */
  close(reason: Error): S[] {
    this.#closed = true;
    clearTimeout(this.#trimTimer);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(reason);
    this.#wakeReadyWaiters();
    return this.#ready.splice(0);
  }

  #start(): void {
    this.#starting++;
    void this.#options
      .create()
      .then((session) => {
        this.#failures = 0;
        this.#place(session);
      })
      .catch((error: unknown) => {
        // A start cut short by the pool's own shutdown is not a failure worth a warning.
        if (this.#closed) return;
        const waiter = this.#waiters.shift();
        if (waiter) {
          waiter.reject(error);
          return;
        }
        this.#failures++;
        this.#options.logger?.warn({ err: error }, 'pool could not pre-fork a ready session');
      })
      .finally(() => {
        this.#starting--;
        this.#wakeReadyWaiters();
        // A waiting caller gets its attempt at once; starts ahead of demand back off after failures.
        if (this.#failures === 0 || this.#waiters.length > 0) this.refill();
        else if (this.#failures < 5) setTimeout(() => this.refill(), 200 * 2 ** this.#failures).unref();
      });
  }

  /** A fresh session goes to the oldest waiting caller, else into the ready list. */
  #place(session: S): void {
    if (this.#closed) {
      session.kill();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve(session);
      return;
    }
    this.#ready.push(session);
    this.#scheduleTrim();
    void session.exited.then(() => {
      const index = this.#ready.indexOf(session);
      if (index >= 0) this.#ready.splice(index, 1);
      this.refill();
    });
  }

  #takeAlive(): S | undefined {
    while (this.#ready.length > 0) {
      const session = this.#ready.shift()!;
      if (session.kernelAlive) return session;
    }
    return undefined;
  }

  #recordHandOver(): void {
    this.#lastHandOver = performance.now();
    this.#handOvers.push(this.#lastHandOver);
    // The target never exceeds maxReady, so hand-overs beyond what raises it that far change nothing.
    if (this.#handOvers.length > (this.#options.maxReady * DEMAND_WINDOW_MS) / START_LEAD_MS) this.#handOvers.shift();
  }

  /** Ends sessions above the target once no identifier has been handed one for IDLE_TRIM_MS. */
  #scheduleTrim(): void {
    if (this.#trimTimer !== undefined || this.#ready.length <= this.#options.minReady) return;
    const delay = Math.max(0, this.#lastHandOver + IDLE_TRIM_MS - performance.now());
    this.#trimTimer = setTimeout(() => {
      this.#trimTimer = undefined;
      if (this.#closed) return;
      if (performance.now() - this.#lastHandOver < IDLE_TRIM_MS) {
        this.#scheduleTrim();
        return;
      }
      const excess = this.#ready.length - this.target;
      for (const session of this.#ready.splice(0, Math.max(0, excess))) session.kill();
    }, delay).unref();
  }

  #wakeReadyWaiters(): void {
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    waiters.forEach((wake) => wake());
  }
}
