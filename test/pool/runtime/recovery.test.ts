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

  it('fails the call that killed its kernel, then starts a fresh session with a notice', async () => {
    await run(manager, 'killer', 'z = 5');
    await manager.writeFile('killer', 'old.txt', new Uint8Array([1]));
    const etag = manager.getSession('killer')!.etag;
    const error = await run(manager, 'killer', 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolError);
    expect((error as PoolError).code).toBe('session_lost');
    expect((error as PoolError).message).toMatch(/SIGKILL.*Run the code again/s);
    const next = await run(manager, 'killer', "'z' in globals()");
    expect(next.stateLost).toBe(true);
    expect(next.response.stderr).toMatch(/^\[tidepool\] This session's previous Python kernel/);
    expect(next.response.result).toBe(false);
    expect(manager.getSession('killer')!.etag).not.toBe(etag);
    expect(await manager.listFiles('killer')).toEqual([]);
    const after = await run(manager, 'killer', '1 + 1');
    expect(after.stateLost).toBe(false);
    expect(after.response.stderr).toBe('');
  });

  it('interrupts a timed-out cell and keeps the variables', async () => {
    await run(manager, 'slow', 'kept = "yes"\nimport time');
    const outcome = await manager.execute('slow', 'time.sleep(30)', { timeoutMs: 500 });
    expect(outcome.response.timedOut).toBe(true);
    expect(outcome.response.stateLost).toBe(false);
    expect((await run(manager, 'slow', 'kept')).response.result).toBe('yes');
  });

  it('kills a cell that ignores the interrupt, reports stateLost, and recovers on the next call', async () => {
    await run(manager, 'stubborn', 'gone = 1');
    const code = 'import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.05)';
    const outcome = await manager.execute('stubborn', code, { timeoutMs: 500 });
    expect(outcome.response.timedOut).toBe(true);
    expect(outcome.response.stateLost).toBe(true);
    expect(outcome.response.error?.type).toBe('TimeoutError');
    const next = await run(manager, 'stubborn', "'gone' in globals()");
    expect(next.stateLost).toBe(true);
    expect(next.response.stderr).toMatch(/^\[tidepool\]/);
    expect(next.response.result).toBe(false);
  });

  it('recovers a session whose kernel died while idle', async () => {
    await run(manager, 'idle-death', 'import os, threading, signal\nthreading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()');
    await new Promise((resolve) => setTimeout(resolve, 800));
    const next = await run(manager, 'idle-death', '2 + 2');
    expect(next.stateLost).toBe(true);
    expect(next.response.result).toBe(4);
  });
});
