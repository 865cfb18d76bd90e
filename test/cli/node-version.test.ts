/** The version check in bin/: an old Node.js gets one line saying what to install, and exit code 2. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
// Plain JavaScript without type declarations: loaded by path, typed here.
const { nodeVersionProblem } = (await import(pathToFileURL(path.join(ROOT, 'bin', 'check-node.js')).href)) as { nodeVersionProblem: (version: string, execPath: string) => string | null };
const OLD_NODE = '/usr/bin/node';

function run(node: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(node, args, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME }, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('nodeVersionProblem', () => {
  it.each([
    ['20.20.2', true],
    ['22.11.0', true],
    ['18.19.1', true],
    ['22.12.0', false],
    ['23.0.0', false],
    ['24.21.0', false],
  ])('Node %s too old: %s', (version, tooOld) => {
    expect(nodeVersionProblem(version, '/x/node') !== null).toBe(tooOld);
  });

  it('names the version found, the one needed and the commands that install it, on one line', () => {
    const message = nodeVersionProblem('20.20.2', '/usr/bin/node')!;
    expect(message).not.toContain('\n');
    expect(message).toContain('Node.js 20.20.2 (/usr/bin/node)');
    expect(message).toContain('22.12 or newer');
    expect(message).toContain('npm install -g --prefix /opt/node24 node@24');
    expect(message).toContain('export PATH=/opt/node24/bin:$PATH');
  });
});

const oldNode = existsSync(OLD_NODE) ? await run(OLD_NODE, ['-p', 'process.versions.node']) : undefined;
const oldVersion = oldNode?.code === 0 ? oldNode.stdout.trim() : undefined;
const hasOldNode = oldVersion !== undefined && nodeVersionProblem(oldVersion, OLD_NODE) !== null;

describe.skipIf(!hasOldNode)(`bin/tidepool.js on an old Node.js (${OLD_NODE} ${oldVersion ?? 'missing'})`, () => {
  it.each([[['--help']], [['--version']], [['setup']], [['exec', 'print(1)']], [['pool', 'start']]])('%j: one line on stderr, nothing on stdout, exit code 2', async (args) => {
    const result = await run(OLD_NODE, [path.join(ROOT, 'bin', 'tidepool.js'), ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`${nodeVersionProblem(oldVersion!, OLD_NODE)}\n`);
  });

  it('bin/check-node.js alone (npm test runs it first) says the same', async () => {
    const result = await run(OLD_NODE, [path.join(ROOT, 'bin', 'check-node.js')]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`Node.js ${oldVersion}`);
  });
});

describe('bin/check-node.js on this Node.js', () => {
  it('prints nothing and exits 0', async () => {
    const result = await run(process.execPath, [path.join(ROOT, 'bin', 'check-node.js')]);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
