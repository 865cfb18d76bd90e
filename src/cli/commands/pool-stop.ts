/** `tidepool pool stop`: end the machine's pool and every session in it. */
import type { Command } from 'commander';
import { EXIT_OK, type CliContext } from '../context.js';

/** A pool ends its kernels before it exits; past this it is killed. */
const STOP_TIMEOUT_MS = 30_000;

export function registerPoolStop(pool: Command, context: CliContext): void {
  pool
    .command('stop')
    .description('Stop the pool started with `tidepool pool start`, ending every session in it')
    .action(async () => {
      const { isPoolProcess, processAlive, readPoolState, removePoolState, stateFile } = await import('../local-pool.js');
      const file = stateFile(context.env);
      const state = file ? await readPoolState(file) : undefined;
      if (!file || !state) {
        context.stdout.write('No local pool is running.\n');
        context.exitCode = EXIT_OK;
        return;
      }
      // Only a live pool server is signalled: the pid may have been reused since the file was written.
      if (!(await processAlive(state.pid)) || !(await isPoolProcess(state.pid))) {
        await removePoolState(file, state.pid);
        context.stdout.write(`No local pool is running (pid ${state.pid} had exited); removed its state file.\n`);
        context.exitCode = EXIT_OK;
        return;
      }
      context.stderr.write(`Stopping the local pool at ${state.url} (pid ${state.pid}): ending every session...\n`);
      process.kill(state.pid, 'SIGTERM');
      const gone = async (withinMs: number) => {
        const deadline = Date.now() + withinMs;
        while ((await processAlive(state.pid)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        return !(await processAlive(state.pid));
      };
      if (!(await gone(STOP_TIMEOUT_MS))) {
        process.kill(state.pid, 'SIGKILL');
        await gone(5_000);
        context.stderr.write(`It did not stop within ${STOP_TIMEOUT_MS / 1000} s, so it was killed; sessions it had not ended may linger until their processes exit.\n`);
      }
      await removePoolState(file, state.pid);
      context.stdout.write('Local pool stopped.\n');
      context.exitCode = EXIT_OK;
    });
}
