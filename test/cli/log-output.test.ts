/** Server logs: readable lines on a terminal, pino JSON elsewhere or when asked. */
import { describe, expect, it } from 'vitest';
import { createCliLogger, humanLogLine, resolveLogFormat } from '../../src/cli/log-output.js';
import { MemoryStream } from '../support/streams.js';

const tty = Object.assign(new MemoryStream(), { isTTY: true });

describe('log format', () => {
  it('is human on a terminal and JSON elsewhere, unless a flag or TIDEPOOL_LOG_FORMAT says otherwise', () => {
    expect(resolveLogFormat(undefined, {}, tty)).toBe('human');
    expect(resolveLogFormat(undefined, {}, new MemoryStream())).toBe('json');
    expect(resolveLogFormat('json', {}, tty)).toBe('json');
    expect(resolveLogFormat(undefined, { TIDEPOOL_LOG_FORMAT: 'JSON' }, tty)).toBe('json');
    expect(resolveLogFormat(undefined, { TIDEPOOL_LOG_FORMAT: 'human' }, new MemoryStream())).toBe('human');
    expect(() => resolveLogFormat(undefined, { TIDEPOOL_LOG_FORMAT: 'xml' }, tty)).toThrow(/--log-format \(or TIDEPOOL_LOG_FORMAT\) must be human or json, got "xml"/);
  });

  it('turns a pino record into one readable line (an error adds its stack below)', () => {
    const time = new Date(2026, 0, 2, 14, 3, 7).getTime();
    const line = humanLogLine(JSON.stringify({ level: 40, time, pid: 1, hostname: 'h', name: 'tidepool-pool', msg: 'connection refused', reason: 'total', address: '127.0.0.1', n: 2 }));
    expect(line).toBe('14:03:07 WARN  pool: connection refused reason=total address=127.0.0.1 n=2\n');
    const withError = humanLogLine(JSON.stringify({ level: 50, time, name: 'tidepool-pool', msg: 'request failed', traceId: 't1', err: { message: 'boom', stack: 'Error: boom\n    at f (x.js:1:1)' } }));
    expect(withError).toBe('14:03:07 ERROR pool: request failed (boom) traceId=t1\n    at f (x.js:1:1)\n');
    expect(humanLogLine('not json')).toBe('not json\n');
  });

  it('a logger writes JSON lines or human lines to the stream', async () => {
    const jsonStream = new MemoryStream();
    (await createCliLogger({ name: 'tidepool-web', level: 'info', format: 'json', stream: jsonStream, base: { component: 'web' } })).info({ port: 1 }, 'hello');
    expect(JSON.parse(jsonStream.text)).toMatchObject({ level: 30, name: 'tidepool-web', component: 'web', port: 1, msg: 'hello' });
    const humanStream = new MemoryStream();
    (await createCliLogger({ name: 'tidepool-web', level: 'info', format: 'human', stream: humanStream, base: { component: 'web' } })).info({ port: 1 }, 'hello');
    expect(humanStream.text).toMatch(/^\d\d:\d\d:\d\d INFO {2}web: hello port=1\n$/);
  });
});
