/**
 * Starts `tidepool pool serve` as a detached process that outlives this command, and waits until it
 * has recorded itself in the state file and answers with its key (loaded only when the command runs).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../../errors.js';
import { PACKAGE_ROOT } from '../../paths.js';
import { EXIT_FAILURE, EXIT_OK, type CliContext } from '../context.js';
import { generateApiKey, isPoolProcess, LOG_FILE_NAME, lookUpLocalPool, probePool, processAlive, readPoolState, removePoolState, stateFile, type LocalPoolState } from '../local-pool.js';
import { serveArguments, type PoolServeFlags } from './pool-flags.js';

/** A pool boots its zygote (the scientific stack) before it listens; on a busy machine that takes a while. */
const START_TIMEOUT_MS = 120_000;
const SESSION_JOURNAL_NAME = 'pool-sessions.sqlite';
const POLL_MS = 50;

export async function startBackgroundPool(flags: PoolServeFlags, context: CliContext): Promise<number> {
  const { env, stdout, stderr } = context;
  const file = stateFile(env);
  if (!file) throw new ConfigurationError('Set HOME (or XDG_STATE_HOME): the local pool records itself in $XDG_STATE_HOME/tidepool, else ~/.local/state/tidepool.');

  const found = await lookUpLocalPool(env);
  if (found.kind === 'running') {
    stdout.write(`${found.state.url}\n`);
    stderr.write(`A local pool is already running at ${found.state.url} (pid ${found.state.pid}). To change its settings, stop it first: \`npx tidepool pool stop\`.\n`);
    return EXIT_OK;
  }
  if (found.kind === 'not-answering') {
    if ((await processAlive(found.state.pid)) && (await isPoolProcess(found.state.pid))) {
      stderr.write(`A local pool (pid ${found.state.pid}) is recorded in ${file} but does not answer at ${found.state.url} (${found.reason}). Stop it first: \`npx tidepool pool stop\`.\n`);
      return EXIT_FAILURE;
    }
    await removePoolState(file, found.state.pid);
  }

  const keys = flags.apiKey ?? (env.TIDEPOOL_POOL_API_KEYS ?? '').split(',').map((key) => key.trim()).filter(Boolean);
  const apiKeys = keys.length > 0 ? keys : [generateApiKey()];
  // Like the embedded pool: egress for the weather tools, where it can be had (it needs root).
  const egress = flags.egress ?? (process.getuid?.() === 0 && flags.isolation !== 'none' ? true : false);
  // The machine's pool outlives commands, so a restart of it is worth telling its sessions about.
  const sessionJournal = flags.sessionJournal ?? (env.TIDEPOOL_POOL_SESSION_JOURNAL?.trim() || path.join(path.dirname(file), SESSION_JOURNAL_NAME));
  const args = ['pool', 'serve', ...serveArguments({ ...flags, apiKey: undefined, egress, sessionJournal }), '--state-file', file];

  const logFile = path.join(path.dirname(file), LOG_FILE_NAME);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const logFd = openSync(logFile, 'a', 0o600);
  const logStart = (await stat(logFile)).size;
  const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'tidepool.js'), ...args], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    // The keys travel in the environment: a command line is visible to every user of the machine.
    env: { ...env, TIDEPOOL_POOL_API_KEYS: apiKeys.join(',') },
  });
  closeSync(logFd);
  child.unref();
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.once('error', () => resolve(1));
  });
  let exitCode: number | undefined;
  void exited.then((code) => (exitCode = code));

  const deadline = Date.now() + START_TIMEOUT_MS;
  let state: LocalPoolState | undefined;
  while (exitCode === undefined && Date.now() < deadline && !context.shutdownSignal.aborted) {
    state = await readPoolState(file);
    if (state && state.pid === child.pid && (await probePool(state)).ok) break;
    state = undefined;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (!state) {
    if (exitCode === undefined) child.kill('SIGTERM');
    const why = await startFailure(logFile, logStart);
    stderr.write(`The pool did not start${exitCode === undefined ? ` within ${START_TIMEOUT_MS / 1000} s` : ''}.${why ? `\n${why}` : ''}\nFull log: ${logFile}\n`);
    return exitCode && exitCode !== 0 ? exitCode : EXIT_FAILURE;
  }
  stdout.write(`${state.url}\n`);
  const egressNote = state.egress ? 'egress on' : process.getuid?.() === 0 ? 'egress off: `research` needs --egress on' : 'egress off: `research` needs it, and egress needs root';
  stderr.write(
    `Tidepool pool running in the background at ${state.url} (pid ${state.pid}; isolation ${state.isolation}, ${egressNote}). ` +
      '`npx tidepool exec` and `npx tidepool research` use it, and their --session sessions outlive each command. ' +
      `\`npx tidepool pool status\` shows it; \`npx tidepool pool stop\` stops it. Log: ${logFile}\n`,
  );
  return EXIT_OK;
}

/** The human lines the failed pool wrote (its `Error: …`), else the end of its log. */
async function startFailure(logFile: string, from: number): Promise<string> {
  const text = (await readFile(logFile).catch(() => Buffer.alloc(0))).subarray(from).toString('utf8');
  const lines = text.split('\n').filter(Boolean);
  const human = lines.filter((line) => !line.startsWith('{') && !/^https?:\/\//.test(line));
  return (human.length > 0 ? human : lines.slice(-5)).map((line) => `  ${line}`).join('\n');
}
