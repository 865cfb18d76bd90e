/** `tidepool research`: the research_weather tool from the command line, with lifecycle timings on stderr. */
import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_OK, type CliContext } from '../context.js';

interface ResearchOptions {
  dates?: string;
  sandbox: string;
  json?: boolean;
}

export function registerResearch(program: Command, context: CliContext): void {
  program
    .command('research')
    .description('Research the weather for a destination and travel dates inside a sandbox (forecast, typical or recorded weather, packing tips)')
    .argument('<destination>', 'a place ("Paris, France") or several ("Miami and Tokyo")')
    .option('-d, --dates <dates>', 'travel dates: current (default), "May", "February 2026", "May 3-10, 2027", "next week", …')
    .option('-s, --sandbox <name>', 'pool, local, aca, e2b or daytona (or a full name such as Sandbox-ACA); pool uses the local pool when one runs with egress (`tidepool pool start`)', 'pool')
    .option('--json', 'print text, structured data, sandbox and timings as JSON')
    .action(async (destination: string, options: ResearchOptions) => {
      const [{ researchWeather, researchAnswer }, { cliLifecycleListener, heldLifecycle }, { openCliSandbox }, { todayFromEnv }] = await Promise.all([
        import('../../index.js'),
        import('../lifecycle-output.js'),
        import('../sandbox-choice.js'),
        import('./weather-options.js'),
      ]);
      // "finished" waits for the answer: a run whose answer is a failure is shown as failed.
      const lifecycle = heldLifecycle(await cliLifecycleListener(context.stderr, context.env));
      const { sandbox } = await openCliSandbox(options.sandbox, context, { label: destination, onLifecycle: lifecycle.listener, needsEgress: true });
      let answered = false;
      try {
        const output = await researchWeather(
          { destination, dates: options.dates },
          { sandbox, signal: context.shutdownSignal },
          { env: context.env, today: todayFromEnv(context.env) },
        );
        answered = researchAnswer(output).ok;
        lifecycle.release(answered);
        context.stdout.write(options.json ? `${JSON.stringify(output, null, 2)}\n` : `${output.text}\n`);
        context.exitCode = answered ? EXIT_OK : EXIT_FAILURE;
      } finally {
        lifecycle.release(answered);
        await sandbox.close();
      }
    });
}
