import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolSessionManager } from '../../../src/pool/runtime/index.js';
import { PoolError } from '../../../src/pool/types.js';
import { createTestManager, run } from './helpers.js';

describe('pool runtime: kernel death and recovery', () => {
  let manager: PoolSessionManager;

  beforeAll(async () => {
    manager = createTestManager({ maxSessions: 10 });
    await manager.start();
  });
  afterAll(() => manager.close());

  it('fails the call that killed its kernel, then restarts the kernel with a notice, keeping the files', async () => {
    await run(manager, 'killer', 'z = 5');
    await manager.writeFile('killer', 'old.txt', new Uint8Array([1]));
    const etag = manager.getSession('killer')!.etag;
    const error = await run(manager, 'killer', 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolError);
    expect((error as PoolError).code).toBe('session_lost');
    expect((error as PoolError).message).toMatch(/SIGKILL.*Run the code again/s);
    const next = await run(manager, 'killer', "'z' in globals()");
    expect(next.freshKernel).toBe(true);
    expect(next.response.stderr).toMatch(/^\[tidepool\] This session's previous kernel.*SIGKILL.*files were kept/);
    expect(next.response.result).toBe(false);
    expect(manager.getSession('killer')!.etag).not.toBe(etag);
    expect((await manager.listFiles('killer')).map((file) => file.name)).toEqual(['old.txt']);
    expect((await run(manager, 'killer', "open('/mnt/data/old.txt', 'rb').read()")).response.result).toBe("b'\\x01'");
    const after = await run(manager, 'killer', '1 + 1');
    expect(after.freshKernel).toBe(false);
    expect(after.response.stderr).toBe('');
  });

  it('interrupts a timed-out cell and keeps the variables', async () => {
    await run(manager, 'slow', 'kept = "yes"\nimport time');
    const outcome = await manager.execute('slow', 'time.sleep(30)', { timeoutMs: 500 });
    expect(outcome.response.timedOut).toBe(true);
    expect(outcome.response.stateLost).toBe(false);
    expect((await run(manager, 'slow', 'kept')).response.result).toBe('yes');
  });

  it('kills a cell that ignores the interrupt, reports stateLost, and recovers on the next call with the files kept', async () => {
    await run(manager, 'stubborn', "gone = 1\nopen('/mnt/data/kept.txt', 'w').write('still here')");
    const code = 'import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.05)';
    const outcome = await manager.execute('stubborn', code, { timeoutMs: 500 });
    expect(outcome.response.timedOut).toBe(true);
    expect(outcome.response.stateLost).toBe(true);
    expect(outcome.response.error?.type).toBe('TimeoutError');
    const next = await run(manager, 'stubborn', "'gone' in globals()");
    expect(next.freshKernel).toBe(true);
    expect(next.response.stderr).toMatch(/^\[tidepool\].*ignored the interrupt.*files were kept/);
    expect(next.response.result).toBe(false);
    expect((await run(manager, 'stubborn', "open('/mnt/data/kept.txt').read()")).response.result).toBe('still here');
  });

  it('ends what a killed kernel left running before the fresh kernel starts', async () => {
    await run(manager, 'leftovers', "import subprocess, os\nos.environ['TIDEPOOL_KEEP_PROCESSES'] = '1'\nsubprocess.Popen(['sleep', '600'])");
    await run(manager, 'leftovers', 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)').catch(() => undefined);
    const next = await run(manager, 'leftovers', "import os\nsorted(int(p) for p in os.listdir('/proc') if p.isdigit())");
    expect(next.freshKernel).toBe(true);
    // PID 1 and the fresh kernel only: the sleeper went with the old kernel.
    expect(JSON.parse(next.response.result as string) as number[]).toHaveLength(2);
  });

  it('starts a fresh session, files lost and said so, when the whole session ended', async () => {
    await run(manager, 'whole', "open('/mnt/data/f.txt', 'w').write('x')");
    const process = manager.sessionProcess('whole')!;
    process.kill();
    await process.exited;
    const next = await run(manager, 'whole', 'import os\nos.listdir("/mnt/data")');
    expect(next.freshKernel).toBe(true);
    expect(next.response.stderr).toMatch(/variables and its \/mnt\/data files were lost/);
    expect(next.response.result).toBe('[]');
  });

  it('recovers a session whose kernel died while idle', async () => {
    await run(manager, 'idle-death', 'import os, threading, signal\nthreading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()');
    await expect.poll(() => manager.sessionProcess('idle-death')?.kernelAlive, { timeout: 10_000 }).toBe(false);
    const next = await run(manager, 'idle-death', '2 + 2');
    expect(next.freshKernel).toBe(true);
    expect(next.response.result).toBe(4);
  });
});
