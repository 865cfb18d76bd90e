/**
 * Programs the zygote compiles ahead of time (the weather programs): a cell that starts with one
 * runs its precompiled code and compiles only the rest, and means exactly what the whole cell
 * means — the same values, line numbers counted from the top of the cell, and no split where the
 * rest could continue the program's last statement or block.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolSessionManager } from '../../../src/pool/runtime/index.js';
import { programSource, RESEARCH_PROGRAM } from '../../../src/weather/program.js';
import { createTestManager, run } from './helpers.js';

const PYTHON_DIR = path.join(import.meta.dirname, '..', '..', '..', 'python');

/** Runs `precompiled_prefix` in a plain interpreter for each cell: true where it would split. */
function splits(prefix: string, cells: string[]): Promise<boolean[]> {
  const script = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})`,
    'import tidepool_kernel as k',
    'data = json.load(sys.stdin)',
    'k.precompile(data["prefix"])',
    'print(json.dumps([k.precompiled_prefix(cell, "<cell>") is not None for cell in data["cells"]]))',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-I', '-c', script], (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}: ${stderr}`));
      resolve(JSON.parse(stdout) as boolean[]);
    });
    child.stdin!.end(JSON.stringify({ prefix, cells }));
  });
}

describe('precompiled cell prefixes', () => {
  it('splits only where running the prefix first means the same as the whole cell', async () => {
    const prefix = 'def f():\n    return 1\n\nvalue = f()';
    const verdicts = await splits(prefix, [
      `${prefix}\n\nprint(value)`, // a new statement at column 0
      `${prefix}\n    + 1`, // continues the prefix's last statement
      `${prefix}\n\n    print(2)`, // indented: could continue the block
      `${prefix}\n# only a comment`, // nothing to run: the prefix's value would change meaning
      `${prefix}\n\nfrom __future__ import annotations`, // legal alone, not after the prefix
      `${prefix}\n\nprint(`, // does not parse: the whole cell reports the error
      `${prefix}print(3)`, // no new line between them
      `x = 0\n${prefix}\n\nprint(value)`, // does not start with the prefix
    ]);
    expect(verdicts).toEqual([true, false, false, false, false, false, false, false]);
  });
});

describe('the research program in a pool session', () => {
  let manager: PoolSessionManager;
  beforeAll(async () => {
    manager = createTestManager({ readySessions: 1 });
    await manager.start();
  }, 120_000);
  afterAll(async () => {
    await manager?.close();
  });

  it('has the research program precompiled, exactly as the host sends it', async () => {
    const source = await programSource(RESEARCH_PROGRAM);
    const digest = createHash('sha256').update(source, 'utf8').digest('hex');
    const check = 'import hashlib, sys\nsorted(hashlib.sha256(s.encode()).hexdigest() for s, _ in sys.modules["tidepool_kernel"]._PRECOMPILED)';
    const { response } = await run(manager, 'research-registered', check);
    expect(response.error).toBeNull();
    expect(response.result).toContain(digest);
  }, 120_000);

  it('runs precompiled, with tracebacks numbered from the top of the cell as when compiled whole', async () => {
    const source = await programSource(RESEARCH_PROGRAM);
    const tail = '\n\nmarker = type(KNOWN_CITIES).__name__\nraise ValueError(marker)\n';
    const raiseLine = `${source}${tail}`.split('\n').indexOf('raise ValueError(marker)') + 1;
    // A leading blank line defeats the prefix match: the same code, compiled whole, one line lower.
    const precompiled = await run(manager, 'research-precompiled', `${source}${tail}`);
    const whole = await run(manager, 'research-whole', `\n${source}${tail}`);
    for (const [response, line] of [
      [precompiled.response, raiseLine],
      [whole.response, raiseLine + 1],
    ] as const) {
      expect(response.error?.type).toBe('ValueError');
      expect(response.error?.message).toBe('dict');
      expect(response.error?.traceback).toMatch(new RegExp(`File "<cell-\\d+>", line ${line}, in <module>`));
    }
  }, 120_000);
});
