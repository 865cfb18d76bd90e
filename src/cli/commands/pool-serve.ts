/**
 * `tidepool pool serve`: run the ACA-compatible session pool until Ctrl-C / SIGTERM.
 * Prints one line on stdout — the management endpoint URL — once listening; logs go to stderr.
 * `pool start`, `pool status` and `pool stop` (files beside this one) run it as the machine's pool.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addPoolServeOptions, type PoolServeFlags } from './pool-flags.js';
import { registerPoolStart } from './pool-start.js';
import { registerPoolStatus } from './pool-status.js';
import { registerPoolStop } from './pool-stop.js';

export function registerPool(program: Command, context: CliContext): void {
  const pool = program.command('pool').description('The self-hosted session pool that speaks the Azure Container Apps dynamic-sessions API');
  addPoolServeOptions(
    pool
      .command('serve')
      .description('Serve the pool until Ctrl-C; prints the management endpoint URL (set it as ACA_POOL_MANAGEMENT_ENDPOINT for any ACA client)')
      .option('--background', 'run as the machine\'s pool in the background, like `tidepool pool start`'),
    'network access from sessions; on needs --api-key and root (TIDEPOOL_POOL_EGRESS; default off)',
  )
    .option('--legacy-api <on|off>', 'serve the deprecated python/* routes (LlamaIndex.TS, old Semantic Kernel) with a Deprecation header (TIDEPOOL_POOL_LEGACY_API; default on)')
    .option('--execution-result <typed|string>', 'gen-2 executionResult typed as Azure does, or always text for Semantic Kernel .NET (TIDEPOOL_POOL_EXECUTION_RESULT; default typed)')
    .option('--tls <off|self-signed>', 'serve HTTPS with a certificate made at start for the bound host; logs its SHA-256 fingerprint and how to trust it (TIDEPOOL_POOL_TLS; default off)')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate chain; needs --tls-key (TIDEPOOL_POOL_TLS_CERT)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert (TIDEPOOL_POOL_TLS_KEY)')
    .option('--auth <key|jwt>', 'key: bearer API keys; jwt: bearer JWTs from an identity provider, plus any API keys (TIDEPOOL_POOL_AUTH; default key)')
    .option('--api-keys-file <file>', 'bearer keys, one per line, read again when the file changes (TIDEPOOL_POOL_API_KEYS_FILE)')
    .option('--jwt-issuer <iss>', 'with --auth jwt: an accepted issuer, e.g. https://sts.windows.net/<tenant-id>/; repeat for several (TIDEPOOL_POOL_JWT_ISSUER, comma-separated)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--jwt-audience <aud>', 'with --auth jwt: an accepted audience; repeat for several (TIDEPOOL_POOL_JWT_AUDIENCE; default https://dynamicsessions.io and https://acasessions.io)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--jwt-jwks <url|file>', 'with --auth jwt: the signing keys, e.g. https://login.microsoftonline.com/<tenant-id>/discovery/v2.0/keys (TIDEPOOL_POOL_JWT_JWKS)')
    .action(async (flags: PoolServeFlags) => {
      // These settings reach the server as their variables, where a flag's value replaces the variable's.
      const { httpFlagVariables } = await import('../../pool/http/http-settings.js');
      const withFlags: CliContext = { ...context, env: { ...context.env, ...httpFlagVariables(flags as Parameters<typeof httpFlagVariables>[0]) } };
      if (flags.background) {
        const { startBackgroundPool } = await import('./pool-start-run.js');
        context.exitCode = await startBackgroundPool(flags, withFlags);
        return;
      }
      const { servePool } = await import('./pool-serve-run.js');
      context.exitCode = await servePool(flags, withFlags);
    });
  registerPoolStart(pool, context);
  registerPoolStatus(pool, context);
  registerPoolStop(pool, context);
}
