/** `tidepool doctor`: what the machine offers, and the exact fix for each missing piece. */
import type { Command } from 'commander';
import { EXIT_FAILURE, type CliContext } from '../context.js';

export function registerDoctor(program: Command, context: CliContext): void {
  program
    .command('doctor')
    .description('Check python3, the scientific packages, bubblewrap, seccomp, egress tools, user namespaces, cgroups, fonts, Chromium and nginx; print how to fix what is missing')
    .option('--json', 'print the checks as JSON')
    .action(async (options: { json?: boolean }) => {
      const { runChecks } = await import('../../system/index.js');
      const checks = await runChecks(context.env);
      if (options.json) {
        context.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
      } else {
        for (const check of checks) {
          const mark = check.ok ? '✓' : check.required ? '✗' : '–';
          context.stdout.write(`${mark} ${check.name}: ${check.detail}\n`);
          if (!check.ok && check.fix) context.stdout.write(`    fix: ${check.fix}\n`);
        }
      }
      const missing = checks.filter((check) => check.required && !check.ok);
      if (missing.length > 0) {
        const how = process.getuid?.() === 0 ? '' : ' (needs root or sudo)';
        if (!options.json) context.stdout.write(`\n${missing.length} required piece(s) missing. Run \`npx tidepool setup\` to install them${how}.\n`);
        context.exitCode = EXIT_FAILURE;
      } else if (!options.json) {
        context.stdout.write('\nEverything Tidepool needs is here.\n');
      }
    });
}
