/** `tidepool pool start`: the pool as this machine's pool, in the background, for `exec` and `research` to use. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addPoolServeOptions, type PoolServeFlags } from './pool-flags.js';

export function registerPoolStart(pool: Command, context: CliContext): void {
  addPoolServeOptions(
    pool
      .command('start')
      .description(
        'Start the pool in the background as this machine\'s pool (same flags as `pool serve`): sessions then outlive each command, and `tidepool exec` and ' +
          '`research` use it. Records its pid, URL and a generated API key in $XDG_STATE_HOME/tidepool/pool.json (else ~/.local/state/tidepool), readable by you only',
      ),
    'network access from sessions, which `research` needs (default on when run as root, as egress needs; TIDEPOOL_POOL_EGRESS is not read here)',
  ).action(async (flags: PoolServeFlags) => {
    const { startBackgroundPool } = await import('./pool-start-run.js');
    context.exitCode = await startBackgroundPool(flags, context);
  });
}
