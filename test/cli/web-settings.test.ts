/** Where `tidepool serve` listens: validated like the pool's settings, with errors that name the variable. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { resolveWebListenSettings } from '../../src/config/web-settings.js';
import { ConfigurationError } from '../../src/errors.js';
import { MemoryStream } from '../support/streams.js';

describe('resolveWebListenSettings', () => {
  it('defaults to 127.0.0.1:8080; the option wins over the variable', () => {
    expect(resolveWebListenSettings({}, {})).toEqual({ host: '127.0.0.1', port: 8080 });
    // A blank port variable is unset, as for every setting (a blank host is refused: see below).
    expect(resolveWebListenSettings({}, { TIDEPOOL_WEB_PORT: ' ' })).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(resolveWebListenSettings({}, { TIDEPOOL_WEB_HOST: ' ::1 ', TIDEPOOL_WEB_PORT: '0' })).toEqual({ host: '::1', port: 0 });
    expect(resolveWebListenSettings({ host: '127.0.0.2', port: 9000 }, { TIDEPOOL_WEB_HOST: '0.0.0.0', TIDEPOOL_WEB_PORT: '1' })).toEqual({ host: '127.0.0.2', port: 9000 });
  });

  it.each([
    [{}, { TIDEPOOL_WEB_HOST: '' }, /^TIDEPOOL_WEB_HOST is empty, which would listen on every network interface\..*127\.0\.0\.1.*remove TIDEPOOL_WEB_HOST/],
    [{}, { TIDEPOOL_WEB_HOST: '   ' }, /^TIDEPOOL_WEB_HOST is empty/],
    [{ host: '' }, {}, /^--host is empty, which would listen on every network interface/],
    [{}, { TIDEPOOL_WEB_HOST: 'http://example' }, /^TIDEPOOL_WEB_HOST must be an IP address or host name/],
    [{}, { TIDEPOOL_WEB_PORT: 'abc' }, /^TIDEPOOL_WEB_PORT \/ --port \/ option port: must be a whole number from 0 to 65535 \(0 picks a free port\), got "abc"\.$/],
    [{}, { TIDEPOOL_WEB_PORT: '70000' }, /got "70000"/],
    [{}, { TIDEPOOL_WEB_PORT: '80.5' }, /got "80.5"/],
    [{ port: -1 }, {}, /^TIDEPOOL_WEB_PORT \/ --port \/ option port: must be .*got "-1"/],
  ])('%j %j: a configuration error naming the setting', (options, env, message) => {
    let error: unknown;
    try {
      resolveWebListenSettings(options, env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('tidepool serve with bad listen settings', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-web-settings-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [{ TIDEPOOL_WEB_PORT: 'abc' }, 'TIDEPOOL_WEB_PORT / --port / option port: must be a whole number'],
    [{ TIDEPOOL_WEB_HOST: '' }, 'TIDEPOOL_WEB_HOST is empty'],
  ])('%j: exit 2 with one message and no stack trace, nothing served', async (env, message) => {
    const stdout = new MemoryStream();
    const stderr = new MemoryStream();
    const code = await main(['node', 'tidepool', 'serve', '--db', path.join(dir, 'db.sqlite')], { stdout, stderr, env: { PATH: process.env.PATH, ...env } });
    expect(code).toBe(2);
    expect(stderr.text).toMatch(new RegExp(`^Error: ${message.replace(/[()]/g, '\\$&')}`));
    expect(stderr.text).not.toMatch(/RangeError|\n\s+at /);
    expect(stdout.text).not.toContain('serving at');
  });
});
