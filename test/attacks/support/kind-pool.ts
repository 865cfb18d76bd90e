/**
 * One pool server of a given kind per test file (a real `tidepool pool serve --container-type
 * <kind>` with bwrap isolation and canaries planted around it), the client that watches every
 * answer for a canary, and the clean-up between tests. The Shell and NodeLTS fixtures build on it.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { ensureBuilt } from './build.js';
import { PoolClient } from './client.js';
import { plantCanary, PoolServer, type Canary, type PoolServerOptions } from './pool-server.js';

export interface KindPool {
  readonly server: PoolServer;
  readonly client: PoolClient;
  readonly canary: Canary;
  /** Answers that contained a canary. */
  readonly leaks: string[];
}

export interface KindPoolHooks {
  /** Runs once the server answers (e.g. sets up a victim session). */
  started?(pool: KindPool): Promise<void>;
  /** Runs after every test, before its sessions are deleted (e.g. checks the server and the victim). */
  check?(pool: KindPool): Promise<void>;
  /** Sessions the clean-up after each test leaves alone. */
  keep?(): string[];
}

export function useKindPool(containerType: 'node' | 'shell', options: PoolServerOptions = {}, hooks: KindPoolHooks = {}): KindPool {
  let server: PoolServer | undefined;
  let client: PoolClient | undefined;
  let canary: Canary | undefined;
  const leaks: string[] = [];
  const pool: KindPool = {
    get server() {
      return server!;
    },
    get client() {
      return client!;
    },
    get canary() {
      return canary!;
    },
    leaks,
  };
  beforeAll(async () => {
    await ensureBuilt();
    canary = await plantCanary();
    server = await PoolServer.start(canary, { ...options, extraArgs: ['--container-type', containerType, ...(options.extraArgs ?? [])] });
    client = new PoolClient(server.url, server.key, (answer, what) => {
      for (const needle of canary!.needles) if (answer.text.includes(needle)) leaks.push(`${what} (HTTP ${answer.status}) contains a canary`);
    });
    await hooks.started?.(pool);
  }, 300_000);
  afterEach(async () => {
    if (!client || !server) return;
    try {
      await hooks.check?.(pool);
    } finally {
      // Frees the sessions a test used, so the pool's session limit never decides a later test.
      const kept = new Set(hooks.keep?.() ?? []);
      const identifiers = [...client.touched].filter((identifier) => !kept.has(identifier));
      client.touched.clear();
      if (server.alive) await Promise.all(identifiers.map((identifier) => client!.deleteSession(identifier, 20_000).catch(() => undefined)));
    }
  }, 120_000);
  afterAll(async () => {
    client?.close();
    await server?.stop().catch(() => undefined);
    await canary?.dispose();
  }, 60_000);
  return pool;
}
