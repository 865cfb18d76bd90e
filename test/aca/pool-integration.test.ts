/**
 * The ACA client against the real Tidepool pool on loopback, for each API generation.
 * No skipping: if the pool is broken, these fail.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPoolServer, type RunningPoolServer } from '../../src/pool/index.js';
import { createAcaSandbox } from '../../src/sandbox/backends/aca/aca-sandbox.js';
import type { RemoteSandbox } from '../../src/sandbox/backends/aca/remote-sandbox.js';
import { AuthenticationError, InvalidInputError, NotFoundError } from '../../src/errors.js';
import type { LifecycleEvent } from '../../src/sandbox/lifecycle.js';

const API_KEY = randomBytes(16).toString('hex');
let pool: RunningPoolServer;

beforeAll(async () => {
  pool = await startPoolServer({ host: '127.0.0.1', port: 0, apiKeys: [API_KEY], readySessions: 2, env: {} });
});

afterAll(async () => {
  await pool?.close();
});

describe.each([
  { version: '2024-02-02-preview', generation: 1 },
  { version: '2024-10-02-preview', generation: 2 },
  { version: '2025-10-02-preview', generation: 2 },
])('ACA client ↔ Tidepool pool, $version (gen-$generation)', ({ version }) => {
  let sandbox: RemoteSandbox;
  const events: LifecycleEvent[] = [];

  beforeAll(() => {
    sandbox = createAcaSandbox({
      env: { ACA_POOL_MANAGEMENT_ENDPOINT: `${pool.url}/subscriptions/s/resourceGroups/rg/sessionPools/local/`, ACA_POOL_ACCESS_TOKEN: API_KEY, ACA_API_VERSION: version },
      onLifecycle: (event) => events.push(event),
      label: 'integration',
    });
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  it('executes code, keeps state per identifier and reports lifecycle timings', async () => {
    const id = `state-${randomUUID()}`;
    const first = sandbox.session(id);
    const printed = await first.execute("x = 21\nprint('héllo 🌊')");
    expect(printed).toMatchObject({ status: 'success', stdout: 'héllo 🌊\n', result: null });
    expect((await sandbox.session(id).execute('x * 2')).result).toBe(42);
    const other = await sandbox.session(`other-${randomUUID()}`).execute('x');
    expect(other.status).toBe('failure');
    expect(other.error?.type).toBe('NameError');
    const phases = events.filter((event) => event.identifier === id).map((event) => event.phase);
    expect(phases).toEqual(['creating', 'ready', 'executing', 'finished', 'executing', 'finished']);
    for (const event of events) {
      expect(event.sandboxType).toBe('Sandbox-ACA');
      expect(event.elapsedMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('returns each kind of result', async () => {
    const session = sandbox.session();
    expect((await session.execute('6 * 7')).result).toBe(42);
    expect((await session.execute('1.5')).result).toBe(1.5);
    expect((await session.execute('True')).result).toBe(true);
    expect((await session.execute('None')).result).toBeNull();
    expect((await session.execute("{'a': 1}")).result).toBe("{'a': 1}");
    expect((await session.execute("'🌊 wave'")).result).toMatch(/🌊 wave/);
    const image = await session.execute('import matplotlib\nmatplotlib.use("Agg")\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()');
    expect(image.status).toBe('success');
    // The picture is in images only, once.
    expect(image.result).toBeNull();
    expect(image.images).toHaveLength(1);
    expect(Buffer.from(image.images[0]!.base64_data, 'base64').subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('reports an exception as a failure result with type, message and traceback', async () => {
    const session = sandbox.session();
    const result = await session.execute("def explode():\n    raise ValueError('bad ☔ value')\nprint('before')\nexplode()");
    expect(result.status).toBe('failure');
    expect(result.stdout).toBe('before\n');
    expect(result.error?.type).toBe('ValueError');
    expect(result.error?.message).toBe('bad ☔ value');
    expect(result.error?.traceback).toMatch(/Traceback[\s\S]*explode[\s\S]*ValueError: bad ☔ value/);
    expect((await session.execute('1 + 1')).result).toBe(2);
  });

  it('round-trips binary files with emoji and spaces in their names, lists and deletes them', async () => {
    const session = sandbox.session();
    const bytes = new Uint8Array(256).map((_, index) => index);
    const name = 'wave 🌊 data.bin';
    expect(await session.upload(name, bytes)).toMatchObject({ name, sizeBytes: 256 });
    await session.upload('sub/dir/ünï.txt', new TextEncoder().encode('héllo'));
    expect(await session.download(name)).toEqual(bytes);
    const seen = await session.execute(`open('/mnt/data/${name}', 'rb').read() == bytes(range(256))`);
    expect(seen.result).toBe(true);
    await session.execute("open('/mnt/data/made-by-code 🐍.txt', 'w', encoding='utf-8').write('🐍')");
    const names = (await session.list()).map((file) => file.name).sort();
    expect(names).toEqual(expect.arrayContaining([name, 'made-by-code 🐍.txt']));
    expect(new TextDecoder().decode(await session.download('made-by-code 🐍.txt'))).toBe('🐍');
    expect(new TextDecoder().decode(await session.download('/mnt/data/sub/dir/ünï.txt'))).toBe('héllo');
    await session.delete!(name);
    expect((await session.list()).map((file) => file.name)).not.toContain(name);
    await expect(session.download(name)).rejects.toBeInstanceOf(NotFoundError);
    await expect(session.download('../etc/passwd')).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('rejects a wrong key with an AuthenticationError carrying the status', async () => {
    const wrong = createAcaSandbox({ env: { ACA_POOL_MANAGEMENT_ENDPOINT: pool.url, ACA_POOL_ACCESS_TOKEN: 'not-the-key', ACA_API_VERSION: version } });
    const error = await wrong
      .session()
      .execute('1')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).statusCode).toBe(401);
    await wrong.close();
  });
});

describe('session deletion (2025-10-02-preview)', () => {
  it('close() deletes a session we created, and leaves a named one for reuse', async () => {
    const sandbox = createAcaSandbox({ env: { ACA_POOL_MANAGEMENT_ENDPOINT: pool.url, ACA_POOL_ACCESS_TOKEN: API_KEY, ACA_API_VERSION: '2025-10-02-preview' } });
    const owned = sandbox.session();
    const named = sandbox.session(`named-${randomUUID()}`);
    await owned.execute('a = 1');
    await named.execute('b = 2');
    expect(pool.sessionManager.getSession(owned.identifier)).toBeDefined();
    await sandbox.close();
    expect(pool.sessionManager.getSession(owned.identifier)).toBeUndefined();
    expect(pool.sessionManager.getSession(named.identifier)).toBeDefined();

    const again = createAcaSandbox({ env: { ACA_POOL_MANAGEMENT_ENDPOINT: pool.url, ACA_POOL_ACCESS_TOKEN: API_KEY, ACA_API_VERSION: '2025-10-02-preview' } });
    expect((await again.session(named.identifier).execute('b')).result).toBe(2);
    await again.close();
  });
});
