/**
 * The Python side of the framing every host↔session channel uses (python/tidepool_framing.py): one
 * size cap, checked before anything is allocated for a frame, and the same answers for a stream that
 * ends early as for one that ends between frames.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PYTHON_DIR } from '../../src/paths.js';

function framing(script: string): string {
  const program = `import sys, io, struct; sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})\nimport tidepool_framing as f\n${script}`;
  return execFileSync('/usr/bin/python3', ['-I', '-c', program], { encoding: 'utf8' }).trim();
}

describe('python framing', () => {
  it('round-trips a message, and answers None at a clean end of stream', () => {
    const out = framing(`s = io.BytesIO(f.encode_frame({"op": "x", "s": "é"}))\nprint(f.read_message(s.read), f.read_message(s.read))`);
    expect(out).toBe("{'op': 'x', 's': 'é'} None");
  });

  it('answers None when the stream ends inside a header or a body', () => {
    const out = framing(`print(f.read_frame(io.BytesIO(b"\\x00\\x00").read), f.read_frame(io.BytesIO(struct.pack(">I", 10) + b"abc").read))`);
    expect(out).toBe('None None');
  });

  it('refuses an announced length over the one cap before reading the body', () => {
    const out = framing(`
s = io.BytesIO(struct.pack(">I", f.MAX_FRAME_BYTES + 1))
try:
    f.read_frame(s.read)
except f.FrameError as e:
    print("refused", e)
print(f.read_frame(io.BytesIO(struct.pack(">I", 0)).read) == b"")`);
    expect(out).toBe(`refused frame of ${64 * 1024 * 1024 + 1} bytes exceeds ${64 * 1024 * 1024}\nTrue`);
  });

  it('keeps the kernel module importable under python -I, without leaving its directory on sys.path', () => {
    const program = `import runpy, sys\nsys.argv = ["k"]\nimport importlib.util as u\nspec = u.spec_from_file_location("k", ${JSON.stringify(`${PYTHON_DIR}/tidepool_kernel.py`)})\nm = u.module_from_spec(spec); spec.loader.exec_module(m)\nprint(callable(m.serve), ${JSON.stringify(PYTHON_DIR)} in sys.path)`;
    expect(execFileSync('/usr/bin/python3', ['-I', '-c', program], { encoding: 'utf8' }).trim()).toBe('True False');
  });
});
