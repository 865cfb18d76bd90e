/** `tidepool setup`: install the Debian packages that `doctor` finds missing, where we may. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerSetup(program: Command, context: CliContext): void {
  program
    .command('setup')
    .description(
      'Install with apt (as root or via sudo) what the features need: the python3 scientific stack and python3-seccomp, bubblewrap, slirp4netns and nftables ' +
        'for the pool; fonts for the web UI and charts; python3-jupyter-client and python3-ipykernel for the benchmark\'s Jupyter peer',
    )
    .option('--with-browser', 'also install Chromium, which the web UI\'s browser tests drive')
    .action(async (options: { withBrowser?: boolean }) => {
      const { runSetup } = await import('./setup-run.js');
      context.exitCode = await runSetup({ withBrowser: options.withBrowser ?? false }, context);
    });
}
