/**
 * Hostile user code against a real pool (bwrap): it writes garbage into the kernel's own
 * socket, returns huge values, leaves processes behind and plants traps in /mnt/data. Each
 * may cost its own session at most, never the server or another session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolSessionManager } from '../../../src/pool/runtime/index.js';
import { createTestManager, processesMentioning, run } from './helpers.js';

describe('pool runtime against hostile sessions (bwrap)', () => {
  let manager: PoolSessionManager;

  beforeAll(async () => {
    manager = createTestManager({ maxSessions: 12, readySessions: 2 });
    await manager.start();
  });
  afterAll(() => manager.close());

  it('ends only the session whose code writes a 600 MB frame header into the kernel socket', async () => {
    await run(manager, 'bystander', 'kept = 41');
    await run(manager, 'attacker', 'import os, struct');
    const attack = [
      'def is_socket(fd):',
      '    try:',
      "        return os.readlink(f'/proc/self/fd/{fd}').startswith('socket:')",
      '    except OSError:',
      '        return False',
      "sockets = [int(fd) for fd in os.listdir('/proc/self/fd') if is_socket(fd)]",
      'for fd in sockets:',
      "    os.write(fd, struct.pack('>I', 600 * 1024 * 1024) + b'junk' * 4096)",
      'len(sockets)',
    ].join('\n');
    const attacked = run(manager, 'attacker', attack);
    await expect(attacked).rejects.toMatchObject({ code: 'session_lost' });

    const started = Date.now();
    const answer = await run(manager, 'bystander', 'kept + 1');
    expect(answer.response.result).toBe(42);
    expect(Date.now() - started).toBeLessThan(1_000);

    // The attacker's identifier gets a fresh session, and says so.
    const fresh = await run(manager, 'attacker', "'struct' in globals()");
    expect(fresh.response.result).toBe(false);
    expect(fresh.freshKernel).toBe(true);
  });

  it('truncates a 150 MB string result with a marker', async () => {
    const outcome = await run(manager, 'huge', "'x' * 150_000_000", 60_000);
    expect(outcome.response.status).toBe('success');
    const result = outcome.response.result as string;
    expect(result.length).toBeLessThan(1024 * 1024 + 1000);
    expect(result).toMatch(/truncated to its first 1048576 bytes; the whole is 150000000 characters.*\/mnt\/data/s);
    expect((await run(manager, 'huge', '6 * 7')).response.result).toBe(42);
  });

  it('answers a FIFO in /mnt/data with a clear error instead of hanging', async () => {
    await run(manager, 'fifo', "import os\nos.mkfifo('/mnt/data/pipe')\nopen('/mnt/data/ok.txt', 'w').write('ok')");
    const started = Date.now();
    await expect(manager.readFile('fifo', 'pipe')).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/FIFO/) });
    await expect(manager.statFile('fifo', 'pipe')).rejects.toMatchObject({ code: 'invalid_input' });
    expect((await manager.listFiles('fifo')).map((file) => file.name)).toEqual(['ok.txt']);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await manager.statFile('fifo', 'ok.txt')).sizeBytes).toBe(2);
  });

  it('bounds the listing of 20,000 files and answers it quickly', async () => {
    await run(manager, 'many', "import os\nfor i in range(20_000): open(f'/mnt/data/f{i:05d}', 'w').close()", 60_000);
    const started = Date.now();
    const files = await manager.listFiles('many', { recursive: true });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(files).toHaveLength(10_000);
    expect((files as { truncated?: boolean }).truncated).toBe(true);
    expect(files[0]!.name).toBe('f00000');
  });

  it('keeps listing (and the session) when a file name is not UTF-8', async () => {
    await run(manager, 'bytes', "open(b'/mnt/data/\\xff\\xfe', 'w').write('x')\nopen('/mnt/data/ok.txt', 'w').write('y')\nmarker = 1");
    expect((await manager.listFiles('bytes')).map((file) => file.name)).toEqual(['ok.txt']);
    const after = await run(manager, 'bytes', 'marker');
    expect(after.response.result).toBe(1);
    expect(after.freshKernel).toBe(false);
  });

  it('kills processes a cell leaves running, unless the cell opted out', async () => {
    await run(manager, 'background', "import os, subprocess\nsubprocess.Popen(['sleep', '4242.5'])\nsubprocess.Popen('sleep 4243.5 &', shell=True)");
    // Command lines are NUL-separated: look for the arguments alone.
    await expect.poll(() => processesMentioning('4242.5'), { timeout: 3_000 }).toEqual([]);
    expect(await processesMentioning('4243.5')).toEqual([]);
    const inside = await run(manager, 'background', "sorted(int(p) for p in os.listdir('/proc') if p.isdigit())");
    expect(inside.response.result).toBe('[1, 2]');

    await run(manager, 'background', "os.environ['TIDEPOOL_KEEP_PROCESSES'] = '1'\nserver = subprocess.Popen(['sleep', '4244.5'])");
    await run(manager, 'background', '1');
    expect(await processesMentioning('4244.5')).toHaveLength(1);
    await run(manager, 'background', "del os.environ['TIDEPOOL_KEEP_PROCESSES']");
    await expect.poll(() => processesMentioning('4244.5'), { timeout: 3_000 }).toEqual([]);
  });
});
