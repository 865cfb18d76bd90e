/** Draining and readiness in-process: /readyz, refusing new identifiers, serving held sessions, waiting for running cells. */
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createPoolApp } from '../../src/pool/http/app.js';
import { NodeDrain } from '../../src/pool/http/drain.js';
import { resolveDrainSettings } from '../../src/pool/settings.js';
import { createHarness, E, gen1Exec, gen2Exec, V1, V25, type Harness } from '../pool/http/app-harness.js';
import { MemoryStream } from '../support/streams.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function drainingApp(maxSessions = 5) {
  harness = await createHarness({ settings: { maxSessions } });
  const drain = new NodeDrain(() => harness!.deps.executions.runningCount);
  const app = createPoolApp({ ...harness.deps, drain });
  const post = (path: string, body: unknown) => Promise.resolve(app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
  const get = (path: string) => Promise.resolve(app.request(path));
  return { drain, post, get };
}

describe('/readyz', () => {
  it('is ready while a new session fits, and 503 "full" when none does; /healthz stays alive', async () => {
    const { post, get } = await drainingApp(1);
    expect([(await get('/readyz')).status, await (await get('/readyz')).json()]).toEqual([200, { status: 'ready' }]);
    expect((await post(`${E}/code/execute?${V1}&identifier=only`, gen1Exec('1'))).status).toBe(200);
    expect([(await get('/readyz')).status, await (await get('/readyz')).json()]).toEqual([503, { status: 'full' }]);
    expect((await get('/healthz')).status).toBe(200);
  });
});

describe('NodeDrain', () => {
  it('waits for a running cell, refuses new identifiers with 503 + Retry-After, and keeps serving held sessions', async () => {
    const { drain, post, get } = await drainingApp();
    expect((await post(`${E}/code/execute?${V1}&identifier=held`, gen1Exec('x = 41'))).status).toBe(200);
    const running = post(`${E}/code/execute?${V1}&identifier=busy`, gen1Exec('import time\ntime.sleep(1.5)\nprint("done", end="")'));
    for (let i = 0; i < 200 && drain.inFlight === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(drain.inFlight).toBe(1);

    const drained = drain.drain(30_000);
    expect(drain.draining).toBe(true);
    expect([(await get('/readyz')).status, await (await get('/readyz')).json()]).toEqual([503, { status: 'draining' }]);
    expect((await get('/healthz')).status).toBe(200);

    const refused = await post(`${E}/code/execute?${V1}&identifier=newcomer`, gen1Exec('1'));
    expect([refused.status, refused.headers.get('retry-after'), refused.headers.get('x-ms-error-code')]).toEqual([503, '5', 'NodeDraining']);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/draining.*Retry-After/);
    expect(harness!.manager.getSession('newcomer')).toBeUndefined();

    const held = await post(`${E}/code/execute?${V1}&identifier=held`, gen1Exec('print(x + 1, end="")'));
    expect(((await held.json()) as { properties: { stdout: string } }).properties.stdout).toBe('42');

    const outcome = await drained;
    expect(outcome).toEqual({ finished: true, unfinished: 0 });
    expect(((await (await running).json()) as { properties: { stdout: string } }).properties.stdout).toBe('done');
  });

  it('counts asynchronous executions, which outlive their request, and gives up at its bound', async () => {
    const { drain, post } = await drainingApp();
    const started = await post(`/executions?${V25}&identifier=async`, gen2Exec('import time\ntime.sleep(5)', { executionType: 'Asynchronous' }));
    expect(started.status).toBe(202);
    expect(drain.inFlight).toBe(1);
    expect(await drain.drain(100)).toEqual({ finished: false, unfinished: 1 });
    expect(await drain.drain(30_000)).toEqual({ finished: true, unfinished: 0 });
  });
});

describe('resolveDrainSettings', () => {
  it('defaults to stopping at once, with a bound above the longest execution', () => {
    expect(resolveDrainSettings({}, {})).toEqual({ onSigterm: false, timeoutSeconds: 230 });
  });

  it('reads TIDEPOOL_POOL_DRAIN_ON_SIGTERM and TIDEPOOL_POOL_DRAIN_TIMEOUT_SECONDS, flags first', () => {
    expect(resolveDrainSettings({}, { TIDEPOOL_POOL_DRAIN_ON_SIGTERM: 'on', TIDEPOOL_POOL_DRAIN_TIMEOUT_SECONDS: '60' })).toEqual({ onSigterm: true, timeoutSeconds: 60 });
    expect(resolveDrainSettings({ drainTimeoutSeconds: 5 }, { TIDEPOOL_POOL_DRAIN_TIMEOUT_SECONDS: '60' }).timeoutSeconds).toBe(5);
  });

  it('names the variable and the flag for a bad value', () => {
    expect(() => resolveDrainSettings({}, { TIDEPOOL_POOL_DRAIN_ON_SIGTERM: 'maybe' })).toThrow(/TIDEPOOL_POOL_DRAIN_ON_SIGTERM \/ --drain-on-sigterm.*on or off/);
    expect(() => resolveDrainSettings({}, { TIDEPOOL_POOL_DRAIN_TIMEOUT_SECONDS: '0' })).toThrow(/TIDEPOOL_POOL_DRAIN_TIMEOUT_SECONDS \/ --drain-timeout-seconds/);
  });
});

describe('tidepool pool serve drain flags', () => {
  it.each([
    [['--drain-timeout-seconds', '0'], {}, /--drain-timeout-seconds \(or TIDEPOOL_POOL_DRAIN_TIMEOUT_SECONDS\) must be a whole number of 1 or more/],
    [[], { TIDEPOOL_POOL_DRAIN_ON_SIGTERM: 'later' }, /TIDEPOOL_POOL_DRAIN_ON_SIGTERM \/ --drain-on-sigterm.*must be on or off.*got "later"/],
  ])('exits 2 for %j %j, naming the flag and its variable', async (args, env, message) => {
    const stdout = new MemoryStream();
    const stderr = new MemoryStream();
    const code = await main(['node', 'tidepool', 'pool', 'serve', '--port', '0', ...args], { stdout, stderr, env: { PATH: process.env.PATH, ...env } });
    expect(code).toBe(2);
    expect(stderr.text).toMatch(message);
    expect(stdout.text).toBe('');
  });
});
