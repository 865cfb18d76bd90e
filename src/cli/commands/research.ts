/** `tidepool research`: the research_weather tool from the command line, with lifecycle timings on stderr. */
import type { Command } from 'commander';
import { createSandbox, researchWeather } from '../../index.js';
import { EXIT_FAILURE, EXIT_OK, type CliContext } from '../context.js';
import { cliLifecycleListener } from '../lifecycle-output.js';
import { sandboxEnvOptions, todayFromEnv } from './weather-options.js';

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
    .option('-s, --sandbox <name>', 'pool, local, aca, e2b or daytona (or a full name such as Sandbox-ACA)', 'pool')
    .option('--json', 'print text, structured data, sandbox and timings as JSON')
    .action(async (destination: string, options: ResearchOptions) => {
      const sandbox = createSandbox(options.sandbox, {
        ...sandboxEnvOptions(context.env),
        label: destination,
        onLifecycle: cliLifecycleListener(context.stderr, context.env),
      });
      try {
        const output = await researchWeather(
          { destination, dates: options.dates },
          { sandbox, signal: context.shutdownSignal },
          { env: context.env, today: todayFromEnv(context.env) },
        );
        context.stdout.write(options.json ? `${JSON.stringify(output, null, 2)}\n` : `${output.text}\n`);
        const anyPlace = output.data.places.some((place) => place.ok);
        context.exitCode = output.data.error || !anyPlace ? EXIT_FAILURE : EXIT_OK;
      } finally {
        await sandbox.close();
      }
    });
}
