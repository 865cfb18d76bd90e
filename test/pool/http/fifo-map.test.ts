/** FifoMap: a Map whose oldest entry stays cheap to find after any number of deletions. */
import { describe, expect, it } from 'vitest';
import { FifoMap } from '../../../src/pool/http/fifo-map.js';
import { ExecutionStore } from '../../../src/pool/http/execution-store.js';

describe('FifoMap', () => {
  it('answers the oldest entry still present, skipping deleted ones', () => {
    const map = new FifoMap<string, number>();
    expect(map.oldest()).toBeUndefined();
    for (const [index, key] of ['a', 'b', 'c', 'd'].entries()) map.set(key, index);
    expect(map.oldest()).toEqual(['a', 0]);
    map.delete('a');
    map.delete('c');
    expect(map.oldest()).toEqual(['b', 1]);
    map.delete('b');
    expect(map.oldest()).toEqual(['d', 3]);
    expect(map.size).toBe(1);
    expect(map.has('c')).toBe(false);
    expect(map.get('d')).toBe(3);
  });

  it('makes a key set again the newest, with its new value', () => {
    const map = new FifoMap<string, number>();
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 3);
    expect(map.oldest()).toEqual(['b', 2]);
    map.delete('b');
    expect(map.oldest()).toEqual(['a', 3]);
    expect(map.size).toBe(1);
  });

  it('keeps the order through compactions while entries come and go', () => {
    const map = new FifoMap<number, number>();
    // A sliding window of 100 live keys over 20,000 insertions, plus deletions in the middle.
    for (let key = 0; key < 20_000; key++) {
      map.set(key, key * 2);
      if (key % 7 === 3) map.delete(key - 1);
      if (map.size > 100) map.delete(map.oldest()![0]);
    }
    const expected = Array.from({ length: 20_000 }, (_, key) => key).filter((key) => map.has(key));
    expect(expected.length).toBe(map.size);
    const drained: number[] = [];
    for (let oldest = map.oldest(); oldest; oldest = map.oldest()) {
      expect(oldest[1]).toBe(oldest[0] * 2);
      drained.push(oldest[0]);
      map.delete(oldest[0]);
    }
    expect(drained).toEqual(expected);
  });

  it('lists every entry and allows deleting while listing', () => {
    const map = new FifoMap<string, string>();
    for (const key of ['x', 'y', 'z']) map.set(key, key.toUpperCase());
    for (const [key] of map.entries()) if (key !== 'y') map.delete(key);
    expect([...map.entries()]).toEqual([['y', 'Y']]);
  });
});

describe('ExecutionStore at its record cap', () => {
  it('holds at most 10,000 finished records, evicting the oldest first (each prune makes room for one more)', () => {
    const store = new ExecutionStore();
    const result = { stdout: '', stderr: '', executionResult: 1, executionTimeInMilliseconds: 0 };
    for (let index = 0; index < 12_000; index++) {
      const id = `run-${index}`;
      expect(store.claim(id, 'tenant')).toBe(true);
      store.put({ id, identifier: 'tenant', executionType: 'Synchronous', status: 'Succeeded', result });
    }
    expect(store.lookup('run-0', 'tenant')).toEqual({ evicted: true });
    expect(store.lookup('run-2000', 'tenant')).toEqual({ evicted: true });
    expect(store.lookup('run-2001', 'tenant')).toMatchObject({ record: { id: 'run-2001' } });
    expect(store.lookup('run-11999', 'tenant')).toMatchObject({ record: { id: 'run-11999' } });
    expect(store.evictions).toBe(2001);
  });
});
