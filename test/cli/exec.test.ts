import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MemoryStream } from '../support/streams.js';

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const code = await main(['node', 'tidepool', ...args], { stdout, stderr, env: { PATH: process.env.PATH, ...env } });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('tidepool exec', () => {
  it('prints stdout and the result, with lifecycle lines on stderr, and exits 0', async () => {
    const run = await cli(['exec', "print('hi')\n6 * 7", '--sandbox', 'local']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('hi\n42\n');
    expect(run.stderr).toMatch(/💻 Local Sandbox creating/);
    expect(run.stderr).toMatch(/✓ Local Sandbox created \(\d+ms\)/);
    expect(run.stderr).toMatch(/✅ Local Sandbox execution finished .*\(\d+ms, execution \d+ms\)/);
    expect(run.stderr).toMatch(/🔒 Local Sandbox closed .*\(total: \d+ms\)/);
  });

  it('exits 1 and prints the traceback when the code raises', async () => {
    const run = await cli(['exec', '1 / 0', '--sandbox', 'local']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ZeroDivisionError: division by zero');
    expect(run.stderr).toContain('Traceback (most recent call last)');
  });

  it('prints the whole result as JSON with --json', async () => {
    const run = await cli(['exec', "'🌊'", '--sandbox', 'local', '--json', '--session', 'json-test']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ identifier: 'json-test', status: 'success', result: '🌊', stdout: '' });
  });

  it('exits 1 with one timeout message, in terms of --timeout-ms, when the cell runs too long', async () => {
    const run = await cli(['exec', 'while True: pass', '--sandbox', 'local', '--timeout-ms', '300']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Execution exceeded --timeout-ms (300); pass a larger --timeout-ms');
    expect(run.stderr.match(/Execution exceeded/g)).toHaveLength(1);
    expect(run.stderr).toMatch(/^❌ Local Sandbox failed .*: TimeoutError \(\d+ms\)$/m);
  });

  it('runs a shell command with --language sh: the output, and exit 1 naming the exit code when it fails', async () => {
    const ok = await cli(['exec', 'echo "$((6 * 7))"', '--language', 'sh', '--sandbox', 'local']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('42\n');
    const failed = await cli(['exec', 'echo nope >&2; exit 4', '--language', 'shell', '--sandbox', 'local', '--json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ status: 'failure', exitCode: 4, stderr: 'nope\n', error: { type: 'NonZeroExit' } });
  });

  it('runs JavaScript with --language js: console output and the last expression', async () => {
    const run = await cli(['exec', "console.log('hi'); 6 * 7", '--language', 'js', '--sandbox', 'local']);
    expect(run).toMatchObject({ code: 0, stdout: 'hi\n42\n' });
  });

  it('exits 2 naming where a language runs when the sandbox does not run it, before asking for its key', async () => {
    const run = await cli(['exec', 'ls', '--language', 'sh', '--sandbox', 'daytona']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Sandbox-Daytona does not run shell commands; it runs Python\. Shell commands run on Local, Sandbox-Pool/);
    expect(run.stderr).not.toMatch(/DAYTONA_API_KEY/);
  });

  it.each([
    [['exec', '1', '--sandbox', 'local', '--language', 'cobol'], /--language: Unknown language "cobol"\. Valid languages: python, py, javascript, js, shell, sh, bash\./],
    [['exec', '', '--sandbox', 'local'], /Code is empty/],
    [['exec', '--sandbox', 'local'], /No code given/],
    [['exec', '1', '--sandbox', 'docker'], /Unknown sandbox "docker". Valid sandboxes: Local, Sandbox-Pool/],
    [['exec', '1', '--sandbox', 'local', '--timeout-ms', 'soon'], /--timeout-ms must be a positive number/],
    [['exec', '1', '--sandbox', 'local', '--timeout-ms', '-1'], /--timeout-ms must be a positive number/],
    [['exec', '--file', '/nonexistent/x.py', '--sandbox', 'local'], /Cannot read \/nonexistent\/x.py/],
    [['no-such-command'], /unknown command/],
  ])('exits 2 with a message that says what to fix: %j', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
  });

  it('exits 2 when a file is not UTF-8 text', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-cli-'));
    const file = path.join(dir, 'latin1.py');
    await writeFile(file, Buffer.from([0x70, 0x72, 0x69, 0x6e, 0x74, 0x28, 0x27, 0xe9, 0x27, 0x29]));
    const run = await cli(['exec', '--file', file, '--sandbox', 'local']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not UTF-8 text');
  });

  it('exits 2 naming TIDEPOOL_PYTHON when the interpreter is missing', async () => {
    const run = await cli(['exec', '1', '--sandbox', 'local'], { TIDEPOOL_PYTHON: '/nonexistent/python3' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('TIDEPOOL_PYTHON');
    expect(run.stderr).toContain('tidepool doctor');
  });
});

describe('the installed binary', () => {
  it('runs as a real process with the exit code of the code it ran', async () => {
    const bin = path.resolve('bin/tidepool.js');
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, [bin, 'exec', 'import sys\nprint(sys.version_info[0])\nraise SystemExit(3)', '--sandbox', 'local'], (error, stdout) => {
        resolve({ code: error ? (error.code as number) : 0, stdout });
      });
    });
    expect(result.stdout).toContain('3\n');
    expect(result.code).toBe(1);
  });

  it('prints help listing the commands', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('exec');
    expect(run.stdout).toContain('doctor');
    expect(run.stdout).toContain('setup');
  });
});

describe('tidepool doctor', () => {
  it('checks python and the scientific packages on this machine', async () => {
    const run = await cli(['doctor', '--json']);
    const checks = JSON.parse(run.stdout) as { name: string; ok: boolean }[];
    expect(checks.find((check) => check.name === 'python3')?.ok).toBe(true);
    expect(checks.find((check) => check.name === 'python: numpy')?.ok).toBe(true);
    expect(run.code).toBe(checks.some((check) => !check.ok && (check as { required?: boolean }).required) ? 1 : 0);
  });

  it('prints the exact fix when python is missing', async () => {
    const run = await cli(['doctor'], { TIDEPOOL_PYTHON: '/nonexistent/python3' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✗ python3');
    expect(run.stdout).toContain('apt-get install -y python3');
    expect(run.stdout).toContain('tidepool setup');
  });
});
