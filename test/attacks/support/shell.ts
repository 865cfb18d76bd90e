/**
 * A Shell pool for tests: a real `tidepool pool serve --container-type shell` (bwrap isolation,
 * canaries planted around it as for the Python attack pool) and a client for its executions.
 */
import { PoolClient, type HttpAnswer } from './client.js';
import { useKindPool, type KindPool } from './kind-pool.js';
import type { PoolServerOptions } from './pool-server.js';

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

export type ShellPool = KindPool;

/** One Shell pool server per test file. */
export function useShellPool(options: PoolServerOptions = {}): ShellPool {
  return useKindPool('shell', options);
}
