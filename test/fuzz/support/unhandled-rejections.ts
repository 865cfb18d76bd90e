/**
 * Fails each test of the file that leaves an unhandled rejection behind (a promise the code under
 * fuzzing forgot), and keeps the count for the report.
 */
import { afterEach, beforeEach, expect } from 'vitest';

export function failOnUnhandledRejections(): { readonly count: number } {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled, 'no unhandled rejections').toEqual([]);
  });
  return {
    get count() {
      return unhandled.length;
    },
  };
}
