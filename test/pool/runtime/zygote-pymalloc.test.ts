/**
 * The zygote fills its partly used pymalloc pools before forking (python/tidepool_pymalloc.py), so
 * a session's new small objects go to fresh pools instead of copying a page of shared memory each.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PYTHON_DIR } from '../../../src/paths.js';

function python(script: string): string {
  const program = `import sys; sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})\nimport tidepool_pymalloc as m\n${script}`;
  return execFileSync('/usr/bin/python3', ['-I', '-c', program], { encoding: 'utf8' }).trim();
}

describe('pymalloc pool filler', () => {
  it("reads the free blocks per block size from sys._debugmallocstats()'s table", () => {
    const stats = [
      'Small block threshold = 512, in 32 size classes.',
      '',
      'class   size   num pools   blocks in use  avail blocks',
      '-----   ----   ---------   -------------  ------------',
      '    0     16           1              31           990',
      '    3     64          23            5640           225',
      '',
      '# arenas allocated total           =                    2',
      '2 arenas * 1048576 bytes/arena     =            2,097,152',
    ].join('\n');
    expect(python(`print(m.free_blocks_by_size(${JSON.stringify(stats)}))`)).toBe('{16: 990, 64: 225}');
  });

  it('fills nothing from text it does not recognise', () => {
    expect(python(`print(m.free_blocks_by_size("no table here\\n1 2 3\\n"), m.filler(16, 5))`)).toBe('{} []');
  });

  it('makes objects that each take exactly one block of the size asked for', () => {
    const out = python(`print(all(sys.getsizeof(o) <= s and sys.getsizeof(o) > s - 16 for s in (32, 48, 272, 512) for o in m.filler(s, 3)), len(m.filler(48, 7)))`);
    expect(out).toBe('True 7');
  });

  it('leaves no free block in a pool in use but those of fresh pools', () => {
    const out = python(`
import json
taken = m.fill_partly_used_pools()
left = m.free_blocks_by_size(m.malloc_stats())
# A fresh pool (16 KiB, 48 bytes of header) is all that may still have free blocks.
over = {size: free for size, free in left.items() if size >= 32 and free > (16384 - 48) // size}
print(taken > 0, left != {}, over)`);
    expect(out).toBe('True True {}');
  });
});
