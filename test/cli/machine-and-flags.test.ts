/** Small pieces of the CLI: the advice doctor gives about cgroups, `setup`'s help, and the flags a background pool is started with. */
import { describe, expect, it } from 'vitest';
import { serveArguments } from '../../src/cli/commands/pool-flags.js';
import { main } from '../../src/cli/main.js';
import { checksToFix } from '../../src/cli/commands/setup-run.js';
import { cgroupFix, type CheckResult } from '../../src/system/checks.js';
import { MemoryStream } from '../support/streams.js';

describe('doctor: cgroups', () => {
  it('never tells root to run the pool as root', () => {
    expect(cgroupFix(true)).not.toMatch(/run the pool as root/);
    expect(cgroupFix(true)).toMatch(/runs as root, yet \/sys\/fs\/cgroup is not writable/);
    expect(cgroupFix(false)).toMatch(/^run the pool as root/);
  });
});

describe('setup: what it installs', () => {
  const check = (name: string, setup: CheckResult['setup'], ok = false): CheckResult => ({ name, ok, detail: '', required: false, aptPackages: [name], setup });
  const checks = [check('python3-numpy', 'default'), check('bubblewrap', 'default', true), check('chromium', 'with-browser'), check('nginx', 'manual')];

  it('installs the default pieces, Chromium only with --with-browser, and never what the user must choose (nginx)', () => {
    expect(checksToFix(checks, false).map((c) => c.name)).toEqual(['python3-numpy']);
    expect(checksToFix(checks, true).map((c) => c.name)).toEqual(['python3-numpy', 'chromium']);
  });
});

describe('setup --help', () => {
  it('names what it installs and offers --with-browser', async () => {
    const stdout = new MemoryStream();
    await main(['node', 'tidepool', 'setup', '--help'], { stdout, stderr: new MemoryStream(), env: {} });
    const text = stdout.text.replace(/\s+/g, ' ');
    for (const word of ['python3-seccomp', 'bubblewrap', 'slirp4netns', 'nftables', 'fonts', 'python3-jupyter-client', 'python3-ipykernel', '--with-browser', 'Chromium']) expect(text).toContain(word);
  });
});

describe('serveArguments', () => {
  it('turns parsed flags back into `pool serve` arguments, keys left out', () => {
    expect(
      serveArguments({ port: 0, egress: true, egressAllow: ['10.0.0.2:3128', '10.0.0.3:80'], maxSessions: 4, auditIncludeContent: false, apiKey: ['secret'], logFormat: 'json', isolation: 'bwrap' }),
    ).toEqual(['--port', '0', '--isolation', 'bwrap', '--egress', 'on', '--egress-allow', '10.0.0.2:3128', '--egress-allow', '10.0.0.3:80', '--max-sessions', '4', '--log-format', 'json']);
    expect(serveArguments({ egress: false, auditIncludeContent: true, auditLog: '/tmp/a.jsonl' })).toEqual(['--egress', 'off', '--audit-log', '/tmp/a.jsonl', '--audit-include-content']);
  });
});
