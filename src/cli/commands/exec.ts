/** `tidepool exec`: run one cell in a sandbox and print what it produced. */
import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_OK, type CliContext } from '../context.js';
import { positiveNumber } from '../options.js';

interface ExecOptions {
  sandbox: string;
  language: string;
  session?: string;
  timeoutMs?: number;
  file?: string;
  json?: boolean;
}

export function registerExec(program: Command, context: CliContext): void {
  program
    .command('exec')
    .description('Run code (Python, JavaScript or a shell command) in a sandbox session and print stdout, stderr and the result (exit 1 if the code raised or the command exited non-zero)')
    .argument('[code]', 'the source (Python unless --language says otherwise); "-" reads it from standard input')
    .option('-s, --sandbox <name>', 'local, pool, aca, e2b or daytona (or a full name such as Sandbox-ACA); pool uses the local pool when one runs (`tidepool pool start`)', 'pool')
    .option(
      '-l, --language <name>',
      'python (py), javascript (js) or shell (sh, bash): what the code is written in. Python, JavaScript and shell run on local, pool and e2b; ' +
        'aca runs the one language of its pool (PythonLTS, NodeLTS or Shell); daytona runs Python',
      'python',
    )
    .option(
      '--session <id>',
      'session identifier: the same id reaches the same variables and files while the session lives. Sessions outlive this command on a running local pool ' +
        '(`tidepool pool start`) and on aca; elsewhere they end with it. A new random id when omitted',
    )
    .option('--timeout-ms <n>', 'per-execution timeout in milliseconds (default 220000)', positiveNumber('--timeout-ms'))
    .option('-f, --file <path>', 'read the code from a file instead of the argument')
    .option('--json', 'print the whole result as JSON')
    .action(async (code: string | undefined, options: ExecOptions) => {
      const { runExec } = await import('./exec-run.js');
      context.exitCode = (await runExec(code, options, context)) ? EXIT_OK : EXIT_FAILURE;
    });
}

export type { ExecOptions };
