/**
 * The machine's pool: a `tidepool pool serve` running in the background (`tidepool pool start`),
 * recorded in a state file that only its owner can read (pid, URL, API key). `exec` and `research`
 * find it there without any configuration and check that it answers before using it.
 *
 * The file lives in $XDG_STATE_HOME/tidepool, else ~/.local/state/tidepool, both taken from the
 * command's environment: with neither set there is no local pool to find.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Env } from '../config/settings.js';

export interface LocalPoolState {
  pid: number;
  url: string;
  /** A key the pool accepts (bearer token). */
  apiKey: string;
  egress: boolean;
  isolation: string;
  /** What its sessions run (`python`, `shell`…); absent in state files written before pools had kinds, which ran Python. */
  containerType?: string;
  startedAt: string;
  logFile?: string;
}

export interface PoolHealth {
  live: number;
  ready: number;
  maxSessions: number;
}

export type PoolProbe = { ok: true; sessions: PoolHealth } | { ok: false; reason: string };

export const STATE_FILE_NAME = 'pool.json';
export const LOG_FILE_NAME = 'pool.log';
/** How long a pool on this machine may take to answer /healthz before it counts as not running. */
const PROBE_TIMEOUT_MS = 2_000;

/** $XDG_STATE_HOME/tidepool, else $HOME/.local/state/tidepool; undefined when neither is set. */
export function stateDirectory(env: Env): string | undefined {
  const xdg = env.XDG_STATE_HOME?.trim();
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'tidepool');
  const home = env.HOME?.trim();
  return home ? path.join(home, '.local', 'state', 'tidepool') : undefined;
}

export function stateFile(env: Env): string | undefined {
  const dir = stateDirectory(env);
  return dir ? path.join(dir, STATE_FILE_NAME) : undefined;
}

export function generateApiKey(): string {
  return randomBytes(32).toString('base64url');
}

/** The recorded pool, if the file exists, belongs to this user and makes sense; nothing is checked over the network. */
export async function readPoolState(file: string): Promise<LocalPoolState | undefined> {
  try {
    const info = await stat(file);
    // Someone else's file could point us at their server with their key: not ours to use.
    if (process.getuid && info.uid !== process.getuid()) return undefined;
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LocalPoolState>;
    if (!Number.isInteger(parsed.pid) || typeof parsed.url !== 'string' || typeof parsed.apiKey !== 'string') return undefined;
    return parsed as LocalPoolState;
  } catch {
    return undefined;
  }
}

/** Written whole (temporary file, then rename) with mode 0600 in a 0700 directory: the key is a credential. */
export async function writePoolState(file: string, state: LocalPoolState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/** Removes the state file if it still describes the process `pid` (a newer pool may have replaced it). */
export async function removePoolState(file: string, pid: number): Promise<void> {
  const state = await readPoolState(file);
  if (state && state.pid !== pid) return;
  await rm(file, { force: true });
}

/**
 * Asks the pool's /healthz with the key: session counts come back only when the key is accepted.
 * Plain node:http(s), not fetch: a command probes once, and the first fetch of a process costs
 * some 40 ms of loading before it sends anything.
 */
export async function probePool(state: Pick<LocalPoolState, 'url' | 'apiKey'>, timeoutMs = PROBE_TIMEOUT_MS): Promise<PoolProbe> {
  try {
    const { status, body } = await getText(new URL('/healthz', state.url), { authorization: `Bearer ${state.apiKey}` }, timeoutMs);
    if (status !== 200) return { ok: false, reason: `/healthz answered HTTP ${status}` };
    const parsed = JSON.parse(body) as { status?: string; sessions?: PoolHealth };
    if (!parsed.sessions) return { ok: false, reason: 'it does not accept the recorded API key' };
    return { ok: true, sessions: parsed.sessions };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') return { ok: false, reason: 'nothing listens there' };
    if (code === 'ETIMEDOUT') return { ok: false, reason: `no answer within ${timeoutMs} ms` };
    return { ok: false, reason: (error as Error).message };
  }
}

async function getText(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number; body: string }> {
  // Not `import('node:http')`: an ES module namespace reads every export, and node:http's
  // WebSocket getters load Node's own copy of undici (~20 ms).
  const { request } = url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
        // /healthz answers a few hundred bytes; anything much larger is not our pool.
        if (body.length > 64 * 1024) req.destroy(new Error('the answer to /healthz is too large to be a Tidepool pool'));
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** True while `pid` exists and is not a zombie waiting to be reaped. */
export async function processAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // Gone between the two looks (reaped) counts as gone, like a zombie.
  const status = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return status !== undefined && !/^\d+ \(.*\) [ZX]/.test(status);
}

/** True when `pid` runs a Tidepool pool server (so a recycled pid is never signalled). */
export async function isPoolProcess(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (cmdline === undefined) return false;
  const args = cmdline.split('\0');
  return args.some((arg) => /tidepool/.test(arg)) && args.includes('pool') && args.includes('serve');
}

export type LocalPoolLookup =
  | { kind: 'none' }
  | { kind: 'running'; state: LocalPoolState; sessions: PoolHealth; file: string }
  | { kind: 'not-answering'; state: LocalPoolState; reason: string; file: string };

/** The local pool recorded for this user, and whether it answers. */
export async function lookUpLocalPool(env: Env): Promise<LocalPoolLookup> {
  const file = stateFile(env);
  const state = file ? await readPoolState(file) : undefined;
  if (!file || !state) return { kind: 'none' };
  const probe = await probePool(state);
  return probe.ok ? { kind: 'running', state, sessions: probe.sessions, file } : { kind: 'not-answering', state, reason: probe.reason, file };
}
