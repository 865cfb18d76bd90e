/**
 * Three pool nodes behind Debian's nginx with the documented configuration: 300 sessions keep their
 * own state and files; a node killed mid-run loses exactly its own sessions (SessionLost from the
 * proxy) while the others carry on; a node drained with SIGTERM finishes every running cell,
 * refuses new identifiers with 503 + Retry-After, serves the sessions it holds, then exits 0; the
 * killed node, back at its address, gives its former identifiers new, empty sessions.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NGINX_BINARY, startNginx, type NginxProxy } from '../../src/bench/nginx-proxy.js';
import { startPoolNode, type PoolNode } from './pool-node.js';
import { download, execute, inParallel, listSessions, stdoutOf, upload, waitFor, type Answer } from './session-client.js';

const SESSIONS = 300;
const CONCURRENCY = 12;
const POOL = '/subscriptions/0000/resourceGroups/rg/sessionPools/scale';
const NODE_ARGS = ['--isolation', 'bwrap', '--egress', 'off', '--max-sessions', '200', '--ready-sessions', '4', '--cooldown-seconds', '900', '--drain-on-sigterm', '--drain-timeout-seconds', '120'];

const identifiers = Array.from({ length: SESSIONS }, (_, i) => `tenant-${i}`);
const valueOf = (i: number) => i * 7 + 3;
const noteOf = (identifier: string) => `note of ${identifier}\n`;
/** What every session prints when its state and file are intact. */
const stateCell = 'print(f"{secret}:{x}:" + open("/mnt/data/note.txt").read(), end="")';
const expectedState = (i: number) => `${identifiers[i]}:${valueOf(i)}:${noteOf(identifiers[i]!)}`;

let nodes: PoolNode[] = [];
let proxy: NginxProxy | undefined;
let base = '';

beforeAll(async () => {
  nodes = await Promise.all(['a', 'b', 'c'].map((name) => startPoolNode(name, NODE_ARGS)));
  proxy = await startNginx(nodes.map((node) => node.address));
  base = `${proxy.url}${POOL}`;
}, 180_000);

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.kill()));
  await proxy?.close();
}, 60_000);

function expectSessionLost(result: Answer, identifier: string): void {
  expect({ identifier, status: result.status, header: result.errorCode, code: (result.body.error as { code?: string } | undefined)?.code }).toEqual({
    identifier,
    status: 502,
    header: 'SessionLost',
    code: 'SessionLost',
  });
}

// Debian's nginx is optional on a developer's machine (`npx tidepool doctor` says how to add it); CI installs it.
describe.skipIf(!existsSync(NGINX_BINARY))('three pool nodes behind nginx (hash $arg_identifier consistent)', () => {
  it('keeps 300 sessions apart, loses only a killed node\'s sessions (new and empty once it is back), and drains another without losing a running cell', async () => {
    // --- 300 sessions through the proxy, each with its own variables and file -----------------
    await inParallel(identifiers, CONCURRENCY, async (identifier, i) => {
      const set = await execute(base, identifier, `x = ${valueOf(i)}\nsecret = ${JSON.stringify(identifier)}\nprint("set", end="")`);
      expect({ identifier, out: stdoutOf(set) }).toEqual({ identifier, out: 'set' });
      const put = await upload(base, identifier, 'note.txt', noteOf(identifier));
      expect({ identifier, status: put.status }).toEqual({ identifier, status: 200 });
    });

    // Every session lives on exactly one node, and each node holds some: nothing is shared.
    const held = await Promise.all(nodes.map((node) => listSessions(node.url)));
    const owner = new Map<string, PoolNode>();
    held.forEach((ids, n) => ids.forEach((id) => owner.set(id, nodes[n]!)));
    expect(held.reduce((sum, ids) => sum + ids.length, 0)).toBe(SESSIONS);
    expect([...owner.keys()].sort()).toEqual([...identifiers].sort());
    for (const ids of held) expect(ids.length).toBeGreaterThan(0);
    // Through the proxy, listSessions answers for the one node the empty identifier hashes to.
    const listedByProxy = await listSessions(base);
    expect(held.some((ids) => ids.length === listedByProxy.length && ids.every((id) => listedByProxy.includes(id)))).toBe(true);

    // --- kill node a halfway through a round of state checks ----------------------------------
    const [victim, drained, survivor] = nodes as [PoolNode, PoolNode, PoolNode];
    const onVictim = (id: string) => owner.get(id) === victim;
    let checked = 0;
    let killing: Promise<void> | undefined;
    const round = await inParallel(identifiers, CONCURRENCY, async (identifier, i) => {
      if (++checked === SESSIONS / 2) killing = victim.kill();
      return { identifier, i, result: await execute(base, identifier, stateCell) };
    });
    await killing;
    let lostMidRun = 0;
    for (const { identifier, i, result } of round) {
      if (!onVictim(identifier)) expect({ identifier, out: stdoutOf(result) }).toEqual({ identifier, out: expectedState(i) });
      else if (result.status === 200) expect({ identifier, out: stdoutOf(result) }).toEqual({ identifier, out: expectedState(i) });
      else {
        expectSessionLost(result, identifier);
        lostMidRun++;
      }
    }
    expect(lostMidRun).toBeGreaterThan(0);

    // After the kill: its sessions report SessionLost (never someone else's state), the rest carry on with their files.
    await inParallel(identifiers, CONCURRENCY, async (identifier, i) => {
      const state = await execute(base, identifier, stateCell);
      if (onVictim(identifier)) {
        expectSessionLost(state, identifier);
        return;
      }
      expect({ identifier, out: stdoutOf(state) }).toEqual({ identifier, out: expectedState(i) });
      const file = await download(base, identifier, 'note.txt');
      expect({ identifier, status: file.status, text: file.text }).toEqual({ identifier, status: 200, text: noteOf(identifier) });
    });

    // --- drain node b with SIGTERM while cells run on it --------------------------------------
    const drainedIds = identifiers.filter((id) => owner.get(id) === drained);
    const running = drainedIds.slice(0, 4);
    const idle = drainedIds.slice(4);
    // Each cell runs until the test releases it (bounded), so the drain is observed while they run however slow the machine.
    const longCell = [
      'import pathlib, time',
      'pathlib.Path("/mnt/data/started").write_text("yes")',
      'deadline = time.monotonic() + 120',
      'while not pathlib.Path("/mnt/data/release").exists() and time.monotonic() < deadline:',
      '    time.sleep(0.05)',
      'print(x * 3, end="")',
    ].join('\n');
    const longCells = running.map((identifier) => execute(base, identifier, longCell));
    for (const identifier of running) {
      await waitFor(`the long cell of ${identifier} to start`, async () => (await download(base, identifier, 'started')).status === 200);
    }
    drained.child.kill('SIGTERM');
    await waitFor('node b to report draining on /readyz', async () => (await fetch(`${drained.url}/readyz`)).status === 503);
    expect(await (await fetch(`${drained.url}/readyz`)).json()).toEqual({ status: 'draining' });
    expect((await fetch(`${drained.url}/healthz`)).status).toBe(200);

    // A new identifier on the draining node is refused with a retryable answer...
    const refused = await execute(`${drained.url}${POOL}`, 'newcomer-direct', 'print(1)');
    expect([refused.status, refused.errorCode, refused.retryAfter]).toEqual([503, 'NodeDraining', '5']);
    // ...also through the proxy, while new identifiers on the surviving node are served.
    let refusedByProxy = 0;
    for (let attempt = 0; attempt < 60 && refusedByProxy === 0; attempt++) {
      const result = await execute(base, `newcomer-${attempt}`, 'print("hello", end="")');
      if (result.status === 503) {
        expect([result.errorCode, result.retryAfter]).toEqual(['NodeDraining', '5']);
        refusedByProxy++;
      } else if (result.status === 502) expectSessionLost(result, `newcomer-${attempt}`);
      else expect(stdoutOf(result)).toBe('hello');
    }
    expect(refusedByProxy).toBe(1);
    // The sessions the draining node holds are still served while it drains.
    if (idle.length > 0) {
      const i = identifiers.indexOf(idle[0]!);
      expect(stdoutOf(await execute(base, idle[0]!, stateCell))).toBe(expectedState(i));
    }

    // No running cell was lost, and the node exits cleanly once they are done.
    expect(drained.child.exitCode).toBeNull();
    for (const identifier of running) expect((await upload(base, identifier, 'release', 'go')).status).toBe(200);
    const finished = await Promise.all(longCells);
    finished.forEach((result, n) => expect({ identifier: running[n], out: stdoutOf(result) }).toEqual({ identifier: running[n], out: String(valueOf(identifiers.indexOf(running[n]!)) * 3) }));
    expect(await drained.exited).toBe(0);
    expect(drained.stderr()).toContain('Drained: nothing was left running.');

    // Afterwards only the surviving node's sessions carry on.
    await inParallel(identifiers, CONCURRENCY, async (identifier, i) => {
      const state = await execute(base, identifier, stateCell);
      if (owner.get(identifier) === survivor) expect({ identifier, out: stdoutOf(state) }).toEqual({ identifier, out: expectedState(i) });
      else expectSessionLost(state, identifier);
    });

    // The killed node back at its address: its former identifiers start new, empty sessions.
    const restarted = await startPoolNode('a2', [...NODE_ARGS, '--port', new URL(victim.url).port]);
    nodes.push(restarted);
    const victimIds = identifiers.filter(onVictim);
    await inParallel(victimIds, CONCURRENCY, async (identifier) => {
      const fresh = await execute(base, identifier, 'print("x" in globals(), "secret" in globals(), end="")');
      expect({ identifier, out: stdoutOf(fresh) }).toEqual({ identifier, out: 'False False' });
      expect({ identifier, status: (await download(base, identifier, 'note.txt')).status }).toEqual({ identifier, status: 404 });
    });
    expect((await listSessions(restarted.url)).sort()).toEqual([...victimIds].sort());
  }, 300_000);
});
