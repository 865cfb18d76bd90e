/** The ready pool's policy, on fake sessions and a fake clock: how many it starts, keeps, hands over and ends. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEMAND_WINDOW_MS, IDLE_TRIM_MS, ReadyPool, START_LEAD_MS, STARTS_AT_REST, STARTS_UNDER_DEMAND, type ReadySession } from '../../../src/pool/runtime/ready-pool.js';

/** Hand-overs within one demand window that raise the target by one. */
const PER_READY = DEMAND_WINDOW_MS / START_LEAD_MS;

class FakeSession implements ReadySession {
  kernelAlive = true;
  killed = false;
  readonly exited: Promise<void>;
  #exit!: () => void;

  constructor(readonly id: number) {
    this.exited = new Promise((resolve) => {
      this.#exit = resolve;
    });
  }

  kill(): void {
    this.killed = true;
    this.kernelAlive = false;
    this.#exit();
  }
}

/** Starts that finish only when the test says so, in the order they were asked for. */
class Starts {
  readonly pending: { resolve: (session: FakeSession) => void; reject: (error: Error) => void }[] = [];
  made = 0;

  create = (): Promise<FakeSession> =>
    new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
    });

  /** Finishes the oldest start in flight with a fresh session. */
  async finish(): Promise<FakeSession> {
    const session = new FakeSession(++this.made);
    this.pending.shift()!.resolve(session);
    await vi.advanceTimersByTimeAsync(0);
    return session;
  }

  async fail(message: string): Promise<void> {
    this.pending.shift()!.reject(new Error(message));
    await vi.advanceTimersByTimeAsync(0);
  }
}

function pool(starts: Starts, options: { minReady?: number; maxReady?: number; room?: () => number } = {}): ReadyPool<FakeSession> {
  return new ReadyPool({ create: starts.create, minReady: options.minReady ?? 2, maxReady: options.maxReady ?? 8, room: options.room ?? (() => 100) });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ReadyPool at rest', () => {
  it('keeps minReady sessions ready, starting at most two at once', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 4 });
    ready.refill();
    expect(starts.pending).toHaveLength(STARTS_AT_REST);
    await starts.finish();
    await starts.finish();
    await starts.finish();
    await starts.finish();
    expect(ready.size).toBe(4);
    expect(starts.pending).toHaveLength(0);
  });

  it('never keeps more ready than the pool has room for', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 4, room: () => 1 });
    ready.refill();
    expect(starts.pending).toHaveLength(1);
    await starts.finish();
    expect(ready.size).toBe(1);
    expect(starts.pending).toHaveLength(0);
  });
});

describe('ReadyPool under demand', () => {
  it('hands over a ready session at once and starts its replacement', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 1 });
    ready.refill();
    const first = await starts.finish();
    await expect(ready.acquire()).resolves.toBe(first);
    expect(starts.pending).toHaveLength(1);
  });

  it('passes over a ready session whose kernel died', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 2 });
    ready.refill();
    const dead = await starts.finish();
    const alive = await starts.finish();
    dead.kernelAlive = false;
    await expect(ready.acquire()).resolves.toBe(alive);
  });

  it('serves callers that find none ready in arrival order, from starts it bounds', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 0, maxReady: 0 });
    const served: number[] = [];
    const callers = Array.from({ length: 10 }, (_, i) => ready.acquire().then((session) => {
        served.push(i);
        return session;
      }));
    // Ten callers, but no more starts at once than the bound under demand.
    expect(starts.pending).toHaveLength(STARTS_UNDER_DEMAND);
    for (let i = 0; i < 10; i++) await starts.finish();
    const sessions = await Promise.all(callers);
    expect(served).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sessions.map((session) => session.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(starts.pending).toHaveLength(0);
  });

  it('raises its target to what the recent rate of new identifiers takes during a start, up to maxReady, and lowers it after', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 2, maxReady: 5 });
    expect(ready.target).toBe(2);
    // A few new identifiers a second are what the resting target is for.
    for (let i = 0; i < PER_READY; i++) void ready.acquire();
    expect(ready.target).toBe(2);
    for (let i = 0; i < 2 * PER_READY; i++) void ready.acquire();
    expect(ready.target).toBe(3);
    for (let i = 0; i < 10 * PER_READY; i++) void ready.acquire();
    expect(ready.target).toBe(5);
    await vi.advanceTimersByTimeAsync(DEMAND_WINDOW_MS + 1);
    expect(ready.target).toBe(2);
  });

  it('starts no more than two at once while callers are served from the ready ones at a modest rate', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 4, maxReady: 16 });
    ready.refill();
    for (let i = 0; i < 4; i++) await starts.finish();
    for (let i = 0; i < 3; i++) await ready.acquire();
    expect(starts.pending).toHaveLength(STARTS_AT_REST);
  });

  it('ends the sessions above its resting target once no identifier has come for a while', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 1, maxReady: 4 });
    const callers = 4 * PER_READY;
    for (let i = 0; i < callers; i++) void ready.acquire();
    // Every caller served, then four more to meet the raised target.
    for (let i = 0; i < callers + 4; i++) await starts.finish();
    expect(ready.size).toBe(4);
    await vi.advanceTimersByTimeAsync(IDLE_TRIM_MS - 100);
    expect(ready.size).toBe(4);
    await vi.advanceTimersByTimeAsync(200);
    expect(ready.size).toBe(1);
    expect(starts.pending).toHaveLength(0);
  });

  it('ends none of its sessions while identifiers keep coming, however slowly', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 1, maxReady: 4 });
    const callers = 4 * PER_READY;
    for (let i = 0; i < callers; i++) void ready.acquire();
    for (let i = 0; i < callers + 4; i++) await starts.finish();
    await vi.advanceTimersByTimeAsync(IDLE_TRIM_MS - 1_000);
    const handed = await ready.acquire();
    await vi.advanceTimersByTimeAsync(1_500);
    expect(handed.killed).toBe(false);
    expect(ready.size).toBe(3);
  });
});

describe('ReadyPool failures', () => {
  it('gives a waiting caller the error of the start made for it', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 0, maxReady: 0 });
    const caller = expect(ready.acquire()).rejects.toThrow('no more uids');
    await starts.fail('no more uids');
    await caller;
  });

  it('backs off starts made ahead of demand while they fail, one at a time', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 2 });
    ready.refill();
    await starts.fail('broken sandbox');
    // The other start in flight fails too; then one probe, after a pause.
    await starts.fail('broken sandbox');
    expect(starts.pending).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200 * 2 ** 2);
    expect(starts.pending).toHaveLength(1);
    await starts.finish();
    // Working again: back to two at once.
    expect(starts.pending).toHaveLength(1);
    await starts.finish();
    expect(ready.size).toBe(2);
  });

  it('gives waiting callers the reason when it closes, and the ready sessions to end', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 1 });
    ready.refill();
    const kept = await starts.finish();
    void ready.acquire();
    const waiting = expect(ready.acquire()).rejects.toThrow('shutting down');
    expect(ready.close(new Error('shutting down'))).toEqual([]);
    await waiting;
    expect(kept.killed).toBe(false);
    await expect(ready.acquire()).rejects.toThrow(/closed/);
  });

  it('ends a session that finishes starting after it closed', async () => {
    const starts = new Starts();
    const ready = pool(starts, { minReady: 1 });
    ready.refill();
    expect(ready.close(new Error('shutting down'))).toEqual([]);
    const late = await starts.finish();
    expect(late.killed).toBe(true);
  });
});
