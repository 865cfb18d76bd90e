/**
 * Network attacks from inside a session: the pool's own API, services on the host (loopback and
 * the host's other addresses), abstract unix sockets, and listening for the host to connect in.
 * With egress on a session may reach the outside world but nothing on this machine; with egress
 * off it has nothing but its own loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './support/build.js';
import { guarded, useAttackPool } from './support/fixture.js';
import { connectCell, connectFromHost, hostAddresses, listenAbstract, listenTcp, type ConnectOutcome, type Listener } from './support/host-net.js';
import { plantCanary, runExpectingRefusal, type Canary } from './support/pool-server.js';

/** The attempts that connected, or that took more than 5 s to fail (a client would call that a hang). */
function reachedOrSlow(outcomes: Record<string, ConnectOutcome>): string[] {
  return Object.entries(outcomes)
    .filter(([, outcome]) => outcome.connected || outcome.ms > 5_000)
    .map(([target, outcome]) => `${target}: ${outcome.connected ? `connected (read ${JSON.stringify(outcome.got)})` : `${outcome.error} after ${outcome.ms} ms`}`);
}

describe('C3: start-up without a key', () => {
  let canary: Canary;
  beforeAll(async () => {
    await ensureBuilt();
    canary = await plantCanary();
  }, 300_000);
  afterAll(async () => {
    await canary?.dispose();
  });

  it.each([
    ['--egress on', { egress: true, apiKey: null }, /--egress/],
    ['TIDEPOOL_POOL_EGRESS=on', { apiKey: null, extraEnv: { TIDEPOOL_POOL_EGRESS: 'on' } }, /--egress|TIDEPOOL_POOL_EGRESS/],
  ])('C3: the pool refuses to start without an API key when %s (exit 2, naming --api-key and --egress)', async (_name, options, egressWord) => {
    const run = await runExpectingRefusal(canary, options);
    expect(run.started, `the pool started and printed ${JSON.stringify(run.stdout.trim())}`).toBe(false);
    expect(run.code, `exit code; stderr: ${run.stderr.slice(-800)}`).toBe(2);
    expect(run.stderr).toMatch(/--api-key/);
    expect(run.stderr).toMatch(egressWord);
  }, 120_000);
});

describe('network attacks with egress on (pool bound to every address, as a networked deployment is)', () => {
  const ctx = useAttackPool({ host: '0.0.0.0', egress: true, maxSessions: 8, readySessions: 2, memoryMb: 256 });
  const listeners: Listener[] = [];
  let hosts: string[] = [];

  beforeAll(async () => {
    hosts = hostAddresses();
    listeners.push(await listenTcp('127.0.0.1'));
    for (const host of hosts) listeners.push(await listenTcp(host));
    listeners.push(await listenAbstract());
  }, 60_000);
  afterAll(async () => {
    await Promise.all(listeners.map((listener) => listener.close()));
  });

  it("C3: a session cannot reach the pool's own API on 127.0.0.1 or on the host's other addresses", async () => {
    await guarded(ctx, async () => {
      const port = ctx.server.port;
      const targets: Array<[string, number]> = [['127.0.0.1', port], ...hosts.map((host): [string, number] => [host, port])];
      const outcomes = await ctx.probe<Record<string, ConnectOutcome>>(ctx.id('c3'), connectCell(targets, []), { timeoutInSeconds: 60 });
      expect(reachedOrSlow(outcomes), 'pool API addresses the session reached (or waited on for more than 5 s)').toEqual([]);
    });
  }, 120_000);

  it('H5: a session cannot reach TCP services on the host (loopback and own addresses) or an abstract unix socket', async () => {
    await guarded(ctx, async () => {
      const tcp = listeners.filter((listener) => listener.port !== undefined).map((listener): [string, number] => [listener.host!, listener.port!]);
      const abstract = listeners.filter((listener) => listener.port === undefined).map((listener) => listener.address);
      const outcomes = await ctx.probe<Record<string, ConnectOutcome>>(ctx.id('h5'), connectCell(tcp, abstract), { timeoutInSeconds: 60 });
      expect.soft(reachedOrSlow(outcomes), 'host services the session reached (or waited on for more than 5 s)').toEqual([]);
      expect.soft(listeners.map((listener) => `${listener.address}: ${listener.connections()}`), 'connections the host listeners accepted').toEqual(listeners.map((listener) => `${listener.address}: 0`));
    });
  }, 120_000);

  it('H5: a port a session listens on cannot be reached from the host', async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('h5-listen');
      const opened = await ctx.probe<{ port: number }>(
        attacker,
        'import json, socket\nh5_server = socket.socket()\nh5_server.bind(("0.0.0.0", 0))\nh5_server.listen(16)\nh5_server.setblocking(False)\njson.dumps({"port": h5_server.getsockname()[1]})',
      );
      const attempts: Record<string, { connected: boolean; error?: string }> = {};
      for (const host of ['127.0.0.1', ...hosts]) attempts[`${host}:${opened.port}`] = await connectFromHost(host, opened.port);
      const reached = Object.entries(attempts).filter(([, outcome]) => outcome.connected).map(([target]) => target);
      expect.soft(reached, "the session's listening port answered the host").toEqual([]);
      const accepted = await ctx.probe<{ accepted: number }>(
        attacker,
        'import json\naccepted = 0\nwhile True:\n    try:\n        h5_server.accept()[0].close()\n        accepted += 1\n    except BlockingIOError:\n        break\njson.dumps({"accepted": accepted})',
      );
      expect.soft(accepted.accepted, 'connections the session accepted from the host').toBe(0);
    });
  }, 120_000);
});

describe('network attacks with egress off', () => {
  const ctx = useAttackPool({ egress: false, maxSessions: 8, readySessions: 2, memoryMb: 256 });
  const listeners: Listener[] = [];
  let hosts: string[] = [];

  beforeAll(async () => {
    hosts = hostAddresses();
    listeners.push(await listenTcp('127.0.0.1'));
    for (const host of hosts) listeners.push(await listenTcp(host));
    listeners.push(await listenAbstract());
  }, 60_000);
  afterAll(async () => {
    await Promise.all(listeners.map((listener) => listener.close()));
  });

  it('H5: with egress off a session has no network but loopback: no other interface, no host service, no abstract socket', async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('h5-off');
      const tcp: Array<[string, number]> = [
        ['127.0.0.1', ctx.server.port],
        ...hosts.map((host): [string, number] => [host, ctx.server.port]),
        ...listeners.filter((listener) => listener.port !== undefined).map((listener): [string, number] => [listener.host!, listener.port!]),
      ];
      const abstract = listeners.filter((listener) => listener.port === undefined).map((listener) => listener.address);
      const outcomes = await ctx.probe<Record<string, ConnectOutcome>>(attacker, connectCell(tcp, abstract), { timeoutInSeconds: 60 });
      expect.soft(reachedOrSlow(outcomes), 'host addresses the session reached (or waited on for more than 5 s)').toEqual([]);
      expect.soft(listeners.map((listener) => listener.connections()).reduce((a, b) => a + b, 0), 'connections the host listeners accepted').toBe(0);
      const inside = await ctx.probe<{ interfaces: string[] }>(attacker, 'import json, socket\njson.dumps({"interfaces": [name for _, name in socket.if_nameindex()]})');
      expect.soft(inside.interfaces.filter((name) => name !== 'lo'), 'network interfaces inside the session other than loopback').toEqual([]);
    });
  }, 120_000);
});
