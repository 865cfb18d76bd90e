/**
 * A Shell pool for tests: a real `tidepool pool serve --container-type shell` (bwrap isolation,
 * canaries planted around it as for the Python attack pool) and a client for its executions.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { ensureBuilt } from './build.js';
import { GEN2, PoolClient, type HttpAnswer } from './client.js';
import { plantCanary, PoolServer, type Canary, type PoolServerOptions } from './pool-server.js';

/** The api-version Shell pools were introduced with. */
export const SHELL_API = '2025-02-02-preview';

export interface ShellAnswer {
  http: number;
  body: Record<string, unknown>;
  /** The exit code as the pool reports it (a string), when the call succeeded. */
  status: string | undefined;
  stdout: string;
  stderr: string;
  answer: HttpAnswer;
}

export async function shellExec(client: PoolClient, identifier: string, body: Record<string, unknown>, options: { httpTimeoutMs?: number; apiVersion?: string } = {}): Promise<ShellAnswer> {
  const answer = await client.request('/executions', {
    method: 'POST',
    query: { 'api-version': options.apiVersion ?? SHELL_API, identifier },
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    timeoutMs: options.httpTimeoutMs ?? 120_000,
  });
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    // Left empty: the test reports the raw text.
  }
  const result = (parsed.result ?? {}) as Record<string, unknown>;
  return {
    http: answer.status,
    body: parsed,
    status: typeof parsed.status === 'string' ? parsed.status : undefined,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    answer,
  };
}

/** Runs a command that must exit 0; returns its stdout. */
export async function sh(client: PoolClient, identifier: string, command: string, timeoutInSeconds = 60): Promise<string> {
  const run = await shellExec(client, identifier, { shellCommand: command, timeoutInSeconds });
  if (run.http !== 200 || run.status !== '0') throw new Error(`"${command.slice(0, 80)}" failed: HTTP ${run.http} status ${run.status} ${run.answer.text.slice(0, 600)}`);
  return run.stdout;
}

export interface ShellPool {
  readonly server: PoolServer;
  readonly client: PoolClient;
  readonly canary: Canary;
  /** Answers that contained a canary. */
  readonly leaks: string[];
}

/** One Shell pool server per test file. */
export function useShellPool(options: PoolServerOptions = {}): ShellPool {
  let server: PoolServer | undefined;
  let client: PoolClient | undefined;
  let canary: Canary | undefined;
  const leaks: string[] = [];
  beforeAll(async () => {
    await ensureBuilt();
    canary = await plantCanary();
    server = await PoolServer.start(canary, { ...options, extraArgs: ['--container-type', 'shell', ...(options.extraArgs ?? [])] });
    client = new PoolClient(server.url, server.key, (answer, what) => {
      for (const needle of canary!.needles) if (answer.text.includes(needle)) leaks.push(`${what} (HTTP ${answer.status}) contains a canary`);
    });
  }, 300_000);
  afterEach(async () => {
    // Frees the sessions a test used, so the pool's session limit never decides a later test.
    if (!client || !server?.alive) return;
    const identifiers = [...client.touched];
    client.touched.clear();
    await Promise.all(identifiers.map((identifier) => client!.deleteSession(identifier, 20_000).catch(() => undefined)));
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await server?.stop().catch(() => undefined);
    await canary?.dispose();
  }, 60_000);
  return {
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
}

export { GEN2 };
