/** What `tidepool setup` does once its flags are parsed (loaded only when the command runs). */
import { spawn } from 'node:child_process';
import { runChecks, type CheckResult } from '../../system/index.js';
import { EXIT_FAILURE, EXIT_OK, type CliContext } from '../context.js';

/** The failed checks `setup` fixes: the default ones, Chromium with --with-browser, never the manual ones. */
export function checksToFix(checks: CheckResult[], withBrowser: boolean): CheckResult[] {
  return checks.filter((check) => !check.ok && (check.setup === 'default' || (check.setup === 'with-browser' && withBrowser)));
}

export async function runSetup(options: { withBrowser: boolean }, context: CliContext): Promise<number> {
  const missing = checksToFix(await runChecks(context.env), options.withBrowser);
  const packages = [...new Set(missing.flatMap((check) => check.aptPackages))];
  const manual = missing.filter((check) => check.aptPackages.length === 0 && check.required);
  if (packages.length === 0 && manual.length === 0) {
    context.stdout.write('Nothing to install: everything `tidepool setup` installs is present (see `npx tidepool doctor`).\n');
    return EXIT_OK;
  }
  const command = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${packages.join(' ')}`;
  if (packages.length > 0) {
    const elevate = process.getuid?.() === 0 ? [] : (await succeeds('sudo', ['-n', 'true'])) ? ['sudo', '-n'] : undefined;
    if (!elevate || !(await succeeds('apt-get', ['--version']))) {
      context.stderr.write(`Cannot install packages here (needs apt-get and root or passwordless sudo). Run this yourself:\n  sudo sh -c '${command}'\n`);
      return EXIT_FAILURE;
    }
    context.stdout.write(`Installing: ${packages.join(' ')}\n`);
    const code = await runShell([...elevate, 'sh', '-c', command], context);
    if (code !== 0) {
      context.stderr.write(`apt-get failed (exit ${code}). Run it yourself to see why:\n  ${command}\n`);
      return EXIT_FAILURE;
    }
  }
  for (const check of manual) context.stderr.write(`Still needed by hand — ${check.name}: ${check.fix}\n`);
  const after = (await runChecks(context.env)).filter((check) => check.required && !check.ok);
  if (after.length > 0) {
    context.stderr.write(`Still missing: ${after.map((check) => check.name).join(', ')}. See \`npx tidepool doctor\`.\n`);
    return EXIT_FAILURE;
  }
  context.stdout.write('Setup complete. Try: npx tidepool exec "print(6 * 7)"\n');
  return EXIT_OK;
}

function succeeds(command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => spawn(command, args, { stdio: 'ignore' }).on('exit', (code) => resolve(code === 0)).on('error', () => resolve(false)));
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
