/**
 * What the documented nginx configuration does when the node list changes, with stand-in nodes that
 * only say who they are: removing a node moves only its identifiers, adding one moves only the
 * identifiers that now belong to it, and every request for one identifier reaches one node.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NGINX_BINARY, startNginx, type NginxProxy } from '../../src/bench/nginx-proxy.js';
import { inParallel, waitFor } from './session-client.js';

const IDENTIFIERS = Array.from({ length: 600 }, (_, i) => `id-${i}-${(i * 2654435761) % 99991}`);

interface StandIn {
  address: string;
  server: http.Server;
}

let standIns: StandIn[] = [];
let proxy: NginxProxy | undefined;

async function standIn(): Promise<StandIn> {
  let address = '';
  const server = http.createServer((_request, response) => {
    response.setHeader('content-type', 'text/plain');
    response.end(address);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return { address, server };
}

/** The node that answers for `identifier`, on a fresh connection so a reloaded nginx's new workers answer. */
function ownerOf(identifier: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${proxy!.url}/code/execute?identifier=${encodeURIComponent(identifier)}`, { agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
    });
    request.on('error', reject);
  });
}

const owners = async () => new Map(await inParallel(IDENTIFIERS, 16, async (id) => [id, await ownerOf(id)] as const));

beforeAll(async () => {
  standIns = await Promise.all([standIn(), standIn(), standIn(), standIn()]);
  proxy = await startNginx(standIns.slice(0, 3).map((node) => node.address));
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await Promise.all(standIns.map((node) => new Promise((resolve) => node.server.close(resolve))));
});

// Debian's nginx is optional on a developer's machine (`npx tidepool doctor` says how to add it); CI installs it.
describe.skipIf(!existsSync(NGINX_BINARY))('hash $arg_identifier consistent, as documented', () => {
  it('sends one identifier to one node, and moves only what a node change must move', async () => {
    const [a, b, c, d] = standIns.map((node) => node.address) as [string, string, string, string];
    const before = await owners();
    // Stable: asking again gives the same node.
    expect(await owners()).toEqual(before);
    for (const node of [a, b, c]) expect([...before.values()].filter((owner) => owner === node).length).toBeGreaterThan(IDENTIFIERS.length / 10);

    // Remove c: only c's identifiers move, onto a and b.
    await proxy!.reconfigure([a, b]);
    const onC = IDENTIFIERS.filter((id) => before.get(id) === c);
    await waitFor('nginx to reload without c', async () => (await inParallel(onC, 16, ownerOf)).every((owner) => owner !== c));
    const removed = await owners();
    for (const id of IDENTIFIERS) {
      if (before.get(id) === c) expect([a, b]).toContain(removed.get(id));
      else expect({ id, owner: removed.get(id) }).toEqual({ id, owner: before.get(id) });
    }

    // Back to a, b, c, then add d: the identifiers that move all move to d, about a quarter of them.
    await proxy!.reconfigure([a, b, c]);
    await waitFor('nginx to reload with c back', async () => (await inParallel(onC, 16, ownerOf)).every((owner) => owner === c));
    await proxy!.reconfigure([a, b, c, d]);
    let added = new Map<string, string>();
    // Reloaded once d answers and two whole passes agree (the old worker answers nothing any more).
    await waitFor('nginx to reload with d', async () => {
      const first = await owners();
      if (![...first.values()].includes(d)) return false;
      added = await owners();
      return IDENTIFIERS.every((id) => added.get(id) === first.get(id));
    });
    const moved = IDENTIFIERS.filter((id) => added.get(id) !== before.get(id));
    for (const id of moved) expect({ id, owner: added.get(id) }).toEqual({ id, owner: d });
    expect(moved.length).toBeGreaterThan(IDENTIFIERS.length * 0.08);
    expect(moved.length).toBeLessThan(IDENTIFIERS.length * 0.5);
  }, 120_000);
});
