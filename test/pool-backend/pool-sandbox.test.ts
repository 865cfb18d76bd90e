/** The `Sandbox-Pool` backend: an embedded pool started lazily, reached through the ACA client. */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, SessionAllocationError, type LifecycleEvent } from '../../src/index.js';
import { startPoolServer, type PoolServerOptions, type RunningPoolServer } from '../../src/pool/index.js';
import { startOpenMeteoReplay } from '../support/open-meteo-replay.js';
import { createPoolSandbox } from '../../src/sandbox/backends/pool/pool-sandbox.js';
import type { RemoteSandbox } from '../../src/sandbox/backends/aca/remote-sandbox.js';

/** Wraps the real startPoolServer to see what the backend asked for and what it got. */
function recordingStarter() {
  const calls: PoolServerOptions[] = [];
  const servers: RunningPoolServer[] = [];
  /** Sessions still alive when the backend asked the pool to stop. */
  const aliveAtClose: string[][] = [];
  return {
    calls,
    servers,
    aliveAtClose,
    start: async (options: PoolServerOptions) => {
      calls.push(options);
      const server = await startPoolServer({ ...options, readySessions: 1 });
      servers.push(server);
      const close = server.close.bind(server);
      return {
        ...server,
        close: () => {
          aliveAtClose.push(server.sessionManager.listSessions().map((info) => info.identifier));
          return close();
        },
      };
    },
  };
}

let sandbox: RemoteSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('Sandbox-Pool', () => {
  it('is what the factory returns for "pool", with its banner', async () => {
    const fromFactory = createSandbox('pool');
    expect(fromFactory.type).toBe('Sandbox-Pool');
    expect(fromFactory.banner).toBe('🌊 [Tidepool Pool Sandbox]');
    await fromFactory.close();
  });

  it('starts the pool only on first use, once for concurrent sessions, on loopback with a key and egress on', async () => {
    const starter = recordingStarter();
    const events: LifecycleEvent[] = [];
    sandbox = createPoolSandbox({ startServer: starter.start, env: {}, onLifecycle: (event) => events.push(event) });
    const sessions = [sandbox.session(), sandbox.session(), sandbox.session('named-session')];
    expect(starter.calls).toHaveLength(0);
    const results = await Promise.all(sessions.map((session, index) => session.execute(`${index} + 40`)));
    expect(results.map((result) => result.result)).toEqual([40, 41, 42]);
    expect(starter.calls).toHaveLength(1);
    expect(starter.calls[0]).toMatchObject({ host: '127.0.0.1', port: 0, egress: true });
    expect(starter.calls[0]!.apiKeys).toHaveLength(1);
    expect(starter.calls[0]!.apiKeys![0]!.length).toBeGreaterThanOrEqual(32);
    expect(starter.servers[0]!.settings.egress).toBe(true);

    const named = events.filter((event) => event.identifier === 'named-session');
    expect(named.map((event) => event.phase)).toEqual(['creating', 'ready', 'executing', 'finished']);
    expect(named.every((event) => event.sandboxType === 'Sandbox-Pool')).toBe(true);
    expect(named[1]!.stepMs).toBeGreaterThanOrEqual(0);
  });

  it("gives session code egress by default (the weather tools need it), never to this machine's loopback, and none with egress off", async () => {
    const replay = await startOpenMeteoReplay();
    const loopback = http.createServer((_req, res) => res.end('from the host loopback'));
    loopback.listen(0, '127.0.0.1');
    await once(loopback, 'listening');
    // Any HTTP answer (the replay server refuses unknown requests with 599) proves the server was reached.
    const fetchCode = (url: string) =>
      `import urllib.request, urllib.error\ntry:\n    status = urllib.request.urlopen(${JSON.stringify(url)}, timeout=5).status\nexcept urllib.error.HTTPError as e:\n    status = e.code\nstatus`;
    try {
      sandbox = createPoolSandbox({ env: {}, pool: { readySessions: 1, egressAllow: replay.egressAllow } });
      const session = sandbox.session();
      expect((await session.execute(fetchCode(`${replay.url}/v1/search?name=Paris&count=1`))).result).toBeTypeOf('number');
      const hostLoopback = await session.execute(fetchCode(`http://127.0.0.1:${(loopback.address() as AddressInfo).port}/`));
      expect(hostLoopback.status).toBe('failure');
      await sandbox.close();
      sandbox = createPoolSandbox({ env: {}, pool: { readySessions: 1, egress: false, egressAllow: replay.egressAllow } });
      const blocked = await sandbox.session().execute(fetchCode(`${replay.url}/v1/search?name=Paris&count=1`));
      expect(blocked.status).toBe('failure');
      expect(blocked.error?.type).toMatch(/URLError|ConnectionRefusedError|OSError/);
    } finally {
      loopback.close();
      await replay.close();
    }
  });

  it('the pool refuses requests without its random key', async () => {
    const starter = recordingStarter();
    sandbox = createPoolSandbox({ startServer: starter.start, env: {} });
    await sandbox.session().execute('1');
    const response = await fetch(`${starter.servers[0]!.url}/files?api-version=2025-10-02-preview&identifier=someone-else`);
    expect(response.status).toBe(401);
  });

  it("keeps egress on despite `pool serve`'s TIDEPOOL_POOL_EGRESS=off, reads other TIDEPOOL_POOL_* settings, and takes options", async () => {
    const starter = recordingStarter();
    sandbox = createPoolSandbox({ startServer: starter.start, env: { TIDEPOOL_POOL_EGRESS: 'off', TIDEPOOL_POOL_MEMORY_MB: '777' }, pool: { maxSessions: 7 } });
    await sandbox.session().execute('1');
    expect(starter.servers[0]!.settings).toMatchObject({ egress: true, maxSessions: 7, memoryMb: 777 });
    await sandbox.close();

    const offline = recordingStarter();
    sandbox = createPoolSandbox({ startServer: offline.start, env: {}, pool: { egress: false } });
    await sandbox.session().execute('1');
    expect(offline.servers[0]!.settings.egress).toBe(false);
  });

  it('close() deletes its sessions (DELETE session) and then stops the pool', async () => {
    const starter = recordingStarter();
    sandbox = createPoolSandbox({ startServer: starter.start, env: {} });
    const session = sandbox.session();
    await session.execute('x = 1');
    const server = starter.servers[0]!;
    expect(server.sessionManager.getSession(session.identifier)).toBeDefined();
    await sandbox.close();
    expect(starter.aliveAtClose).toHaveLength(1);
    expect(starter.aliveAtClose[0]).not.toContain(session.identifier);
    await expect(fetch(`${server.url}/metadata?api-version=2025-10-02-preview`)).rejects.toThrow();
    sandbox = undefined;
  });

  it('reports a pool that cannot start as SessionAllocationError, and tries again on the next use', async () => {
    let attempts = 0;
    sandbox = createPoolSandbox({
      env: {},
      startServer: async (options) => {
        attempts += 1;
        if (attempts === 1) throw new Error('bwrap: cannot create user namespace.');
        return startPoolServer({ ...options, readySessions: 1 });
      },
    });
    const session = sandbox.session();
    const error = await session.execute('1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SessionAllocationError);
    expect((error as Error).message).toMatch(/did not start: bwrap: cannot create user namespace.*tidepool doctor/);
    expect((await session.execute('6 * 7')).result).toBe(42);
    expect(attempts).toBe(2);
  });

  it('closing a sandbox that never started does nothing', async () => {
    const starter = recordingStarter();
    const unused = createPoolSandbox({ startServer: starter.start, env: {} });
    unused.session();
    await unused.close();
    expect(starter.calls).toHaveLength(0);
  });

  it('runs each language in an embedded pool of its own, started on first use; a session reports one creation and closes in both', async () => {
    const starter = recordingStarter();
    const events: LifecycleEvent[] = [];
    sandbox = createPoolSandbox({ startServer: starter.start, env: {}, onLifecycle: (event) => events.push(event) });
    expect(await sandbox.languages()).toEqual(['python', 'javascript', 'shell']);
    const session = sandbox.session();
    expect((await session.execute('6 * 7')).result).toBe(42);
    expect(starter.calls.map((call) => call.containerType)).toEqual(['python']);
    expect(await session.execute('echo "$PWD"', { language: 'shell' })).toMatchObject({ status: 'success', exitCode: 0, stdout: '/mnt/data\n' });
    expect(starter.calls.map((call) => call.containerType)).toEqual(['python', 'shell']);
    // Files follow the language the session last ran: the shell session's /mnt/data.
    await session.execute('echo hi > from-shell.txt', { language: 'shell' });
    expect((await session.list()).map((file) => file.name)).toEqual(['from-shell.txt']);
    const phases = events.filter((event) => event.identifier === session.identifier).map((event) => event.phase);
    expect(phases.filter((phase) => phase === 'creating')).toHaveLength(1);
    await session.close();
    expect(starter.servers.map((server) => server.sessionManager.getSession(session.identifier))).toEqual([undefined, undefined]);
  });

  it('runs JavaScript in an embedded NodeLTS pool, and refuses a language outside the contract before starting anything', async () => {
    const starter = recordingStarter();
    sandbox = createPoolSandbox({ startServer: starter.start, env: {} });
    await expect(sandbox.session().execute('1', { language: 'cobol' as never })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(starter.calls).toHaveLength(0);
    expect(await sandbox.session().execute('[1, 2, 3].map((n) => n * 2).join()', { language: 'javascript' })).toMatchObject({ status: 'success', result: '2,4,6' });
    expect(starter.calls.map((call) => call.containerType)).toEqual(['node']);
  });

  it("on a running pool (server), offers the one language of the pool's container type", async () => {
    const running = await startPoolServer({ host: '127.0.0.1', port: 0, apiKeys: ['k'.repeat(32)], containerType: 'shell', readySessions: 1, env: {} });
    try {
      sandbox = createPoolSandbox({ server: { url: running.url, apiKey: 'k'.repeat(32) }, env: {} });
      expect(await sandbox.languages()).toEqual(['shell']);
      expect(await sandbox.session().execute('exit 5', { language: 'shell' })).toMatchObject({ status: 'failure', exitCode: 5 });
      await expect(sandbox.session().execute('1')).rejects.toThrow(/Sandbox-Pool \(the running pool at .*\) does not run Python; it runs shell commands/);
      await sandbox.close();
      sandbox = undefined;
    } finally {
      await running.close();
    }
  });
});
