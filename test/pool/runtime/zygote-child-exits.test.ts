/**
 * A process forked from the zygote never returns into the zygote's code: child_exits() reports a
 * failure on the session's report pipe and always ends the child with the status it was given.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PYTHON_DIR } from '../../../src/paths.js';

function forkAndRun(body: string): string {
  const program = `import os, sys
sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})
import tidepool_zygote as z
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    with z.child_exits(w, "session s1 could not start", 7):
${body}
    print("returned into the caller")
os.close(w)
report = b""
while chunk := os.read(r, 65536):
    report += chunk
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status), repr(report[:1]), report.decode()[1:].splitlines()[:1], report.decode().splitlines()[-1:])`;
  return execFileSync('/usr/bin/python3', ['-I', '-c', program], { encoding: 'utf8' }).trim();
}

describe('child_exits', () => {
  it('reports the exception that ended the child, with its traceback, then exits with the status', () => {
    expect(forkAndRun("        raise ValueError('no mount')")).toBe(
      "7 b'E' ['session s1 could not start:'] ['ValueError: no mount']",
    );
  });

  it('reports even SystemExit, and ends a child that finished without one the same way, silently', () => {
    expect(forkAndRun('        sys.exit(3)')).toBe("7 b'E' ['session s1 could not start:'] ['SystemExit: 3']");
    expect(forkAndRun('        pass')).toBe("7 b'' [] []");
  });
});
