/**
 * Which sandbox a command runs in. `pool` means the machine's pool when one runs (started by
 * `tidepool pool start`, found through its state file and checked alive), else a pool embedded in
 * this process, which ends with the command. Backends are loaded only once chosen: with a local
 * pool, `exec` loads the pool client and nothing of the other backends.
 */
import type { Language, LifecycleListener, Sandbox } from '../index.js';
import type { PoolContainerType } from '../pool/types.js';
import { resolveSandboxType } from '../sandbox/names.js';
import type { CliContext } from './context.js';
import { createCliLogger, resolveLogFormat } from './log-output.js';
import { lookUpLocalPool } from './local-pool.js';
import { sandboxEnvOptions } from './commands/weather-options.js';

export interface CliSandbox {
  sandbox: Sandbox;
  /** Named sessions outlive the command (a remote pool keeps them until they idle out). */
  keepsSessions: boolean;
}

export interface CliSandboxOptions {
  label?: string;
  onLifecycle?: LifecycleListener;
  /** The command's code needs network egress (the weather tools): a local pool without it is passed over. */
  needsEgress?: boolean;
  /** The language the command runs (default python): a local pool of another kind is passed over. */
  language?: Language;
  /**
   * The command serves requests for as long as it runs (the MCP server): the pool and ACA clients
   * then load undici's keep-alive agents, cheapest per request. Other commands send a few requests
   * and exit, so they use Node's built-in http, which costs nothing to load.
   */
  longLived?: boolean;
}

/** The language each kind of local pool runs, by its `--container-type`. */
const POOL_LANGUAGES: Record<PoolContainerType, Language> = { python: 'python', shell: 'shell', node: 'javascript' };

/** The state file's container type when it is one Tidepool knows (a file from an older pool has none: Python). */
function knownContainerType(recorded: string | undefined): PoolContainerType | undefined {
  const type = recorded ?? 'python';
  return Object.hasOwn(POOL_LANGUAGES, type) ? (type as PoolContainerType) : undefined;
}

export async function openCliSandbox(name: string, context: CliContext, options: CliSandboxOptions = {}): Promise<CliSandbox> {
  const type = resolveSandboxType(name);
  const httpClient = options.longLived ? ('undici' as const) : ('node' as const);
  const envOptions = sandboxEnvOptions(context.env);
  const shared = { ...envOptions, aca: { ...envOptions.aca, httpClient }, env: context.env, label: options.label, onLifecycle: options.onLifecycle };
  const createSandbox = async () => (await import('../sandbox/factory.js')).createSandbox;
  if (type !== 'Sandbox-Pool') return { sandbox: (await createSandbox())(type, shared), keepsSessions: type === 'Sandbox-ACA' };

  const found = await lookUpLocalPool(context.env);
  const language = options.language ?? 'python';
  const poolType = found.kind === 'running' ? knownContainerType(found.state.containerType) : undefined;
  const runsLanguage = poolType !== undefined && POOL_LANGUAGES[poolType] === language;
  if (found.kind === 'running' && runsLanguage && (!options.needsEgress || found.state.egress)) {
    context.stderr.write(`🌊 Using the local pool at ${found.state.url} (pid ${found.state.pid}; \`npx tidepool pool status\`)\n`);
    const { createPoolSandbox } = await import('../sandbox/backends/pool/index.js');
    // Its kind is known from the state file, so no execution waits for the pool's metadata.
    const server = { url: found.state.url, apiKey: found.state.apiKey, containerType: poolType };
    return { sandbox: createPoolSandbox({ env: context.env, label: options.label, onLifecycle: options.onLifecycle, server, client: { httpClient } }), keepsSessions: true };
  }
  if (found.kind === 'running' && !runsLanguage) {
    context.stderr.write(`The local pool at ${found.state.url} runs ${found.state.containerType ?? 'python'} sessions, not ${language}; using a pool embedded in this command instead.\n`);
  } else if (found.kind === 'running') {
    context.stderr.write(
      `The local pool at ${found.state.url} has no network egress, which this command needs; using a pool embedded in this command instead ` +
        '(restart it with egress, as root: `npx tidepool pool stop && npx tidepool pool start --egress on`).\n',
    );
  } else if (found.kind === 'not-answering') {
    context.stderr.write(`The local pool recorded in ${found.file} does not answer at ${found.state.url} (${found.reason}); using a pool embedded in this command instead. \`npx tidepool pool status\` says more.\n`);
  }
  // Embedded, the pool logs errors only, and as readable lines on a terminal.
  const logger = await createCliLogger({
    name: 'tidepool-pool',
    level: context.env.TIDEPOOL_LOG_LEVEL?.trim() || 'error',
    format: resolveLogFormat(undefined, context.env, context.stderr),
    stream: context.stderr,
  });
  return { sandbox: (await createSandbox())(type, { ...shared, pool: { env: context.env, pool: { logger } } }), keepsSessions: false };
}
