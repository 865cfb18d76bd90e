/** What `tidepool pool serve` does once its flags are parsed (loaded only when the command runs). */
import { once } from 'node:events';
import { isLoopback } from '../../config/network.js';
import { ConfigurationError } from '../../errors.js';
import { resolveListenSettings, startPoolServer, type PoolServerOptions, type RunningPoolServer } from '../../pool/index.js';
import { resolveDrainSettings, type PoolDrainSettings } from '../../pool/settings.js';
import { EXIT_OK, EXIT_USAGE, type CliContext } from '../context.js';
import { removePoolState, writePoolState } from '../local-pool.js';
import { createCliLogger, resolveLogFormat } from '../log-output.js';
import type { PoolServeFlags } from './pool-flags.js';

/** Serves until the shutdown signal; the exit code. */
export async function servePool(flags: PoolServeFlags, context: CliContext): Promise<number> {
  const logger = await createCliLogger({
    name: 'tidepool-pool',
    level: context.env.TIDEPOOL_LOG_LEVEL?.trim() || 'info',
    format: resolveLogFormat(flags.logFormat, context.env, context.stderr),
    stream: context.stderr,
  });
  const options: PoolServerOptions = {
    host: flags.host,
    port: flags.port,
    apiKeys: flags.apiKey,
    isolation: flags.isolation,
    containerType: flags.containerType,
    egress: flags.egress,
    egressAllow: flags.egressAllow,
    maxSessions: flags.maxSessions,
    readySessions: flags.readySessions,
    maxReadySessions: flags.maxReadySessions,
    cooldownSeconds: flags.cooldownSeconds,
    sessionJournal: flags.sessionJournal,
    memoryMb: flags.memoryMb,
    maxExecutionSeconds: flags.maxExecutionSeconds,
    maxConnections: flags.maxConnections,
    maxConnectionsPerClient: flags.maxConnectionsPerClient,
    resultStoreMb: flags.resultStoreMb,
    maxResultMb: flags.maxResultMb,
    pendingCodeMb: flags.pendingCodeMb,
    auditLogPath: flags.auditLog,
    auditIncludeContent: flags.auditIncludeContent ?? false,
    logger,
    env: context.env,
  };
  let server: RunningPoolServer;
  let drain: PoolDrainSettings;
  try {
    drain = resolveDrainSettings({ drainOnSigterm: flags.drainOnSigterm, drainTimeoutSeconds: flags.drainTimeoutSeconds }, context.env);
    server = await startPoolServer(options);
  } catch (error) {
    // A setting the user can fix (a bad value, a taken port, a missing key file): one line, usage exit.
    if (error instanceof ConfigurationError) {
      context.stderr.write(`Error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  context.stdout.write(`${server.url}\n`);
  const { settings } = server;
  if (flags.stateFile) {
    const apiKey = resolveListenSettings({ apiKeys: flags.apiKey }, context.env).apiKeys[0] ?? '';
    await writePoolState(flags.stateFile, { pid: process.pid, url: server.url, apiKey, egress: settings.egress, isolation: settings.isolation, containerType: settings.containerType, startedAt: new Date().toISOString() });
  }
  const open = !isLoopback(new URL(server.url).hostname) ? 'reachable from the network' : 'loopback only';
  context.stderr.write(
    `Tidepool pool listening on ${server.url} (${open}; ${settings.containerType} sessions, isolation ${settings.isolation}, egress ${settings.egress ? 'on' : 'off'}, ` +
      `max ${settings.maxSessions} sessions, ${settings.readySessions} ready). ${flags.stateFile ? 'Stop it with `tidepool pool stop`.' : 'Press Ctrl-C to stop.'}\n`,
  );
  // Which signal asked to stop decides whether to drain: Ctrl-C means now, SIGTERM is a rolling restart.
  let terminated = false;
  const onSigterm = () => {
    terminated = true;
  };
  process.once('SIGTERM', onSigterm);
  if (!context.shutdownSignal.aborted) await once(context.shutdownSignal, 'abort');
  // The shutdown signal fires from the SIGTERM handler registered before ours; let ours run too.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('SIGTERM', onSigterm);
  // Forget the pool first, so no command picks it up while it winds down.
  if (flags.stateFile) await removePoolState(flags.stateFile, process.pid).catch(() => undefined);
  if (terminated && drain.onSigterm) await drainPool(server, drain, context);
  context.stderr.write('Stopping the pool: ending every session...\n');
  await server.close();
  context.stderr.write('Pool stopped.\n');
  return EXIT_OK;
}

/** Lets running work finish (bounded) while new identifiers are refused; a Ctrl-C cuts it short. */
async function drainPool(server: RunningPoolServer, drain: PoolDrainSettings, context: CliContext): Promise<void> {
  context.stderr.write(`SIGTERM: draining the pool (new identifiers refused, running cells finish; at most ${drain.timeoutSeconds} s, Ctrl-C stops at once)...\n`);
  const interrupted = new AbortController();
  const onInterrupt = () => interrupted.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const outcome = await Promise.race([server.drain(drain.timeoutSeconds * 1000), once(interrupted.signal, 'abort').then(() => undefined)]);
    if (!outcome) context.stderr.write('Drain interrupted.\n');
    else if (outcome.finished) context.stderr.write('Drained: nothing was left running.\n');
    else context.stderr.write(`Drain bound reached: ${outcome.unfinished} request(s) or execution(s) still running end now.\n`);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
