/**
 * The running cell's timeout on one timer that a kernel client keeps for its whole life.
 *
 * A timer armed and cleared per cell costs an allocation plus an insert into and a removal from
 * Node's timer lists; at thousands of cells a second that was a measurable share of a busy pool's
 * time, and nearly every cell ends long before its timeout. Here a cell only records its deadline:
 * the timer stays armed across cells and, when it fires, either stops the cell whose deadline has
 * passed or re-arms itself for the deadline of the cell running now (or, with none, stays idle).
 *
 * The timer holds the event loop open only while a cell runs (ref'd in start(), unref'd in
 * stop()), as a per-cell timer did.
 */
export class CellDeadline {
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (performance.now() time); Infinity when none is armed. */
  #firesAt = Number.POSITIVE_INFINITY;
  /** The running cell's deadline; Infinity when no cell with a timeout runs. */
  #deadline = Number.POSITIVE_INFINITY;
  #onExpire: (() => void) | undefined;

  /** The cell that starts now must stop `timeoutMs` from now: `onExpire` is called then, unless stop() came first. */
  start(timeoutMs: number, onExpire: () => void): void {
    const now = performance.now();
    this.#deadline = now + timeoutMs;
    this.#onExpire = onExpire;
    // An armed timer that fires later than this deadline (a shorter timeout than the last cell's) is too late.
    if (this.#timer === undefined || this.#firesAt > this.#deadline) this.#arm(timeoutMs, now);
    this.#timer!.ref();
  }

  /** The cell ended: its deadline no longer applies. */
  stop(): void {
    this.#deadline = Number.POSITIVE_INFINITY;
    this.#onExpire = undefined;
    this.#timer?.unref();
  }

  #arm(delayMs: number, now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#firesAt = now + delayMs;
    this.#timer = setTimeout(() => this.#fire(), delayMs);
  }

  #fire(): void {
    this.#timer = undefined;
    this.#firesAt = Number.POSITIVE_INFINITY;
    const onExpire = this.#onExpire;
    if (onExpire === undefined) return;
    const now = performance.now();
    // Node's timer clock has millisecond granularity: a timer can fire a fraction of a millisecond early.
    if (now < this.#deadline) {
      this.#arm(this.#deadline - now, now);
      return;
    }
    this.stop();
    onExpire();
  }
}
