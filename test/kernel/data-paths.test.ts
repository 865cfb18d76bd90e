import { describe, expect, it } from 'vitest';
import { DataPathError, normaliseDataPath, resolveDataPath } from '../../src/kernel/data-paths.js';

describe('normaliseDataPath', () => {
  it.each([
    ['data.csv', 'data.csv'],
    ['./data.csv', 'data.csv'],
    ['/mnt/data/data.csv', 'data.csv'],
    ['/mnt/data/sub/dir/a b.txt', 'sub/dir/a b.txt'],
    ['sub//dir/./x.txt', 'sub/dir/x.txt'],
    ['日本語 🌊.txt', '日本語 🌊.txt'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseDataPath(input)).toBe(expected);
  });

  it.each([[''], ['../etc/passwd'], ['a/../../b'], ['/etc/passwd'], ['/mnt/data'], ['/mnt/data/'], ['a\0b'], ['/mnt/database/x']])('rejects %j', (input) => {
    expect(() => normaliseDataPath(input)).toThrow(DataPathError);
  });

  it('resolves inside the data directory only', () => {
    expect(resolveDataPath('/srv/session', '/mnt/data/a/b.txt')).toBe('/srv/session/a/b.txt');
    expect(() => resolveDataPath('/srv/session', '../other/x')).toThrow(DataPathError);
  });
});
