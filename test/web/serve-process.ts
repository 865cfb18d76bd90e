/**
 * Runs the `tidepool` CLI from the TypeScript sources in a process of its own, so a test controls
 * that process's real environment (what code on the host could read from /proc/<pid>/environ):
 *
 *   node --experimental-transform-types test/web/serve-process.ts serve --port 0
 *
 * Node strips the types; the hook below maps the sources' `./x.js` imports to `./x.ts`.
 */
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
      const url = new URL(specifier, context.parentURL);
      if (!existsSync(fileURLToPath(url))) return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
    return nextResolve(specifier, context);
  },
});

// Imported only now, so the hook is in place for the whole import graph.
const { main } = await import('../../src/cli/main.js');
process.exitCode = await main(process.argv);
