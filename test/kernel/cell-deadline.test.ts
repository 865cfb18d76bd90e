/** The kernel client's one cell timer, on a fake clock: it stops the cell past its deadline and no other. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CellDeadline } from '../../src/kernel/cell-deadline.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('CellDeadline', () => {
  it('calls the running cell back at its deadline, once', () => {
    const deadline = new CellDeadline();
    const expired = vi.fn();
    deadline.start(100, expired);
    vi.advanceTimersByTime(99);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(expired).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1_000);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it('does not stop a cell for the deadline of an earlier cell that ended in time', () => {
    const deadline = new CellDeadline();
    const first = vi.fn();
    const second = vi.fn();
    deadline.start(100, first);
    vi.advanceTimersByTime(60);
    deadline.stop();
    deadline.start(100, second);
    // The first cell's deadline passes while the second runs: the timer re-arms for the second's.
    vi.advanceTimersByTime(50);
    expect(first).not.toHaveBeenCalled();
    expect(second).not.toHaveBeenCalled();
    vi.advanceTimersByTime(50);
    expect(second).toHaveBeenCalledTimes(1);
    expect(first).not.toHaveBeenCalled();
  });

  it('stops a cell with a shorter timeout than the last cell at its own deadline', () => {
    const deadline = new CellDeadline();
    deadline.start(60_000, vi.fn());
    deadline.stop();
    const short = vi.fn();
    deadline.start(20, short);
    vi.advanceTimersByTime(20);
    expect(short).toHaveBeenCalledTimes(1);
  });

  it('calls nobody when the timer fires between cells, and still serves the next cell', () => {
    const deadline = new CellDeadline();
    const first = vi.fn();
    deadline.start(100, first);
    deadline.stop();
    vi.advanceTimersByTime(500);
    expect(first).not.toHaveBeenCalled();
    const next = vi.fn();
    deadline.start(30, next);
    vi.advanceTimersByTime(30);
    expect(next).toHaveBeenCalledTimes(1);
    expect(first).not.toHaveBeenCalled();
  });
});
