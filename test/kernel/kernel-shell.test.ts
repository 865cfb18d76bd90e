/**
 * The kernel's shell op through KernelClient.shell, with a real host kernel (no isolation): the
 * session's kept directory and environment, stdin, argv, timeouts that kill the process group and
 * keep the session, output caps, and a command that cannot corrupt the kept state.
 */
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostKernel } from '../../src/kernel/host-process.js';
import { KernelClient, SHELL_TIMEOUT_EXIT_CODE } from '../../src/kernel/kernel-client.js';

describe('KernelClient.shell with a host kernel', () => {
  let dataDir: string;
  let kernel: KernelClient;

  beforeAll(async () => {
    dataDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'tidepool-shell-kernel-')));
    kernel = new KernelClient(startHostKernel({ pythonPath: '/usr/bin/python3', dataDir }), { interruptGraceMs: 5_000 });
    await kernel.ping();
  }, 60_000);

  afterAll(async () => {
    kernel?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps cd and export across commands and reports exit codes', async () => {
    expect(await kernel.shell({ command: 'pwd' })).toMatchObject({ exitCode: 0, stdout: `${dataDir}\n`, error: null });
    expect((await kernel.shell({ command: 'mkdir -p a && cd a && export COLOUR=teal && exit 4' })).exitCode).toBe(4);
    expect((await kernel.shell({ command: 'pwd; echo $COLOUR' })).stdout).toBe(`${dataDir}/a\nteal\n`);
    expect((await kernel.shell({ argv: ['pwd'] })).stdout).toBe(`${dataDir}/a\n`);
    expect((await kernel.shell({ argv: ['cat'], stdin: 'in' })).stdout).toBe('in');
  }, 60_000);

  it('ignores a forged or truncated state answer and keeps the previous directory', async () => {
    await kernel.shell({ command: `cd ${dataDir}` });
    // The command writes its own (malformed) answer to the state descriptor and then replaces the trap.
    const forged = await kernel.shell({ command: 'for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && printf "/etc\\0BROKEN" >&$n; done 2>/dev/null; trap - EXIT; cd /' });
    expect(forged.exitCode).toBe(0);
    expect((await kernel.shell({ command: 'pwd; echo "[${BROKEN-}]"' })).stdout).toBe(`${dataDir}\n[]\n`);
  }, 60_000);

  it('kills the process group at the timeout, answers 124, and keeps the session', async () => {
    await kernel.shell({ command: 'export AFTER=kept' });
    const started = performance.now();
    const slow = await kernel.shell({ command: 'echo begun; sleep 60 & sleep 60' }, { timeoutMs: 1_000 });
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(slow).toMatchObject({ exitCode: SHELL_TIMEOUT_EXIT_CODE, timedOut: true, stateLost: false, stdout: 'begun\n' });
    expect(slow.error?.type).toBe('TimeoutError');
    expect((await kernel.shell({ command: 'echo $AFTER' })).stdout).toBe('kept\n');
  }, 60_000);

  it('caps each stream at the output limit', async () => {
    const flood = await kernel.shell({ command: 'head -c 5000 /dev/zero | tr "\\0" y; head -c 3000 /dev/zero | tr "\\0" z >&2' }, { outputLimitBytes: 1024 });
    expect(flood.stdout.startsWith('y'.repeat(1024))).toBe(true);
    expect(flood.stdout).toContain('[output truncated: 3976 more bytes]');
    expect(flood.stderr).toContain('[output truncated: 1976 more bytes]');
  }, 60_000);
});
