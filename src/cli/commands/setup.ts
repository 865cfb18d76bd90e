/** `tidepool setup`: install the Debian packages that `doctor` finds missing, where we may. */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { runChecks } from '../../index.js';
import { EXIT_FAILURE, type CliContext } from '../context.js';

export function registerSetup(program: Command, context: CliContext): void {
  program
    .command('setup')
    .description('Install the system packages sessions need (python3 scientific stack, bubblewrap, python3-seccomp, slirp4netns, nftables) with apt, as root or via sudo')
    .option('--optional', 'also install what optional checks find missing')
    .action(async (options: { optional?: boolean }) => {
      const checks = await runChecks(context.env);
      const wanted = checks.filter((check) => !check.ok && (check.required || options.optional));
      const packages = [...new Set(wanted.flatMap((check) => check.aptPackages))];
      const manual = wanted.filter((check) => check.aptPackages.length === 0);
      if (packages.length === 0 && manual.length === 0) {
        context.stdout.write('Nothing to install: every required piece is present (see `tidepool doctor`).\n');
        return;
      }
      const command = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${packages.join(' ')}`;
      if (packages.length > 0) {
        const elevate = process.getuid?.() === 0 ? [] : (await hasSudo()) ? ['sudo', '-n'] : undefined;
        if (!elevate || !(await hasApt())) {
          context.stderr.write(`Cannot install packages here (needs apt-get and root or passwordless sudo). Run this yourself:\n  ${command}\n`);
          context.exitCode = EXIT_FAILURE;
          return;
        }
        context.stdout.write(`Installing: ${packages.join(' ')}\n`);
        const code = await runShell([...elevate, 'sh', '-c', command], context);
        if (code !== 0) {
          context.stderr.write(`apt-get failed (exit ${code}). Run it yourself to see why:\n  ${command}\n`);
          context.exitCode = EXIT_FAILURE;
          return;
        }
      }
      for (const check of manual) context.stderr.write(`Still needed by hand — ${check.name}: ${check.fix}\n`);
      const after = (await runChecks(context.env)).filter((check) => check.required && !check.ok);
      if (after.length > 0) {
        context.stderr.write(`Still missing: ${after.map((check) => check.name).join(', ')}. See \`tidepool doctor\`.\n`);
        context.exitCode = EXIT_FAILURE;
      } else {
        context.stdout.write('Setup complete. Try: npx tidepool exec "print(6 * 7)"\n');
      }
    });
}

function hasSudo(): Promise<boolean> {
  return new Promise((resolve) => spawn('sudo', ['-n', 'true'], { stdio: 'ignore' }).on('exit', (code) => resolve(code === 0)).on('error', () => resolve(false)));
}

function hasApt(): Promise<boolean> {
  return new Promise((resolve) => spawn('apt-get', ['--version'], { stdio: 'ignore' }).on('exit', (code) => resolve(code === 0)).on('error', () => resolve(false)));
}

function runShell(argv: string[], context: CliContext): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => context.stdout.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => context.stderr.write(chunk));
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
}
