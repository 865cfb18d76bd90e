/** `tidepool pool status`: whether the machine's pool runs, where, and how busy it is. */
import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_OK, type CliContext } from '../context.js';

export function registerPoolStatus(pool: Command, context: CliContext): void {
  pool
    .command('status')
    .description('Show the pool started with `tidepool pool start`: URL, pid, settings and sessions (exit 1 when none runs)')
    .option('--json', 'print the status as JSON (never the API key: it stays in the state file)')
    .action(async (options: { json?: boolean }) => {
      const { isPoolProcess, lookUpLocalPool, processAlive, removePoolState, stateFile } = await import('../local-pool.js');
      const found = await lookUpLocalPool(context.env);
      const file = stateFile(context.env);
      const print = (human: string, json: Record<string, unknown>) => context.stdout.write(options.json ? `${JSON.stringify({ stateFile: file, ...json }, null, 2)}\n` : human);
      if (found.kind === 'none') {
        print('No local pool is running. Start one with: npx tidepool pool start\n', { running: false });
        context.exitCode = EXIT_FAILURE;
        return;
      }
      const { apiKey: _apiKey, ...state } = found.state;
      if (found.kind === 'running') {
        const { live, ready, maxSessions } = found.sessions;
        print(
          `Local pool running at ${state.url} (pid ${state.pid}, since ${state.startedAt}; isolation ${state.isolation}, egress ${state.egress ? 'on' : 'off'})\n` +
            `  sessions: ${live} live, ${ready} ready, at most ${maxSessions}\n` +
            `  state: ${found.file} (with the API key, for other ACA clients: ACA_POOL_MANAGEMENT_ENDPOINT=${state.url} ACA_POOL_ACCESS_TOKEN=<apiKey>)\n`,
          { running: true, ...state, sessions: found.sessions },
        );
        context.exitCode = EXIT_OK;
        return;
      }
      if (!(await processAlive(state.pid)) || !(await isPoolProcess(state.pid))) {
        await removePoolState(found.file, state.pid);
        print(`No local pool is running: the one recorded in ${found.file} (pid ${state.pid}) has exited; its state file was removed. Start one with: npx tidepool pool start\n`, { running: false });
      } else {
        print(`The local pool (pid ${state.pid}) does not answer at ${state.url}: ${found.reason}. Stop it with: npx tidepool pool stop\n`, { running: false, ...state, reason: found.reason });
      }
      context.exitCode = EXIT_FAILURE;
    });
}
