/**
 * A Map that also finds its oldest entry cheaply however many entries were deleted. Walking a Map
 * from its start passes every entry deleted since V8 last compacted it; a store that deletes at the
 * front and adds at the back (evicting its oldest) would walk thousands of such holes per request.
 * Here the order is an array of (key, sequence) read from a moving head; an entry deleted or set
 * again leaves a stale element behind, skipped once reached and dropped when the array is compacted.
 */
export class FifoMap<K, V> {
  readonly #entries = new Map<K, { value: V; seq: number }>();
  #order: { key: K; seq: number }[] = [];
  #head = 0;
  #seq = 0;

  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  get(key: K): V | undefined {
    return this.#entries.get(key)?.value;
  }

  /** Adds `key`, or replaces its value; either way it becomes the newest. */
  set(key: K, value: V): void {
    const seq = this.#seq++;
    this.#entries.set(key, { value, seq });
    this.#order.push({ key, seq });
    if (this.#order.length > 2 * this.#entries.size + 1024) this.#compact();
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  /** The oldest entry, or undefined when the map is empty. */
  oldest(): [K, V] | undefined {
    while (this.#head < this.#order.length) {
      const { key, seq } = this.#order[this.#head]!;
      const entry = this.#entries.get(key);
      if (entry?.seq === seq) return [key, entry.value];
      this.#head++;
    }
    return undefined;
  }

  /** Every entry, in no particular order (for rare sweeps; deleting while iterating is allowed). */
  *entries(): IterableIterator<[K, V]> {
    for (const [key, entry] of this.#entries) yield [key, entry.value];
  }

  /** Keeps only the elements that still stand for an entry, oldest first. */
  #compact(): void {
    this.#order = this.#order.slice(this.#head).filter(({ key, seq }) => this.#entries.get(key)?.seq === seq);
    this.#head = 0;
  }
}
