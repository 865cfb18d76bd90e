#!/usr/bin/env node
// The `tidepool` command. Plain JavaScript, so that an old Node.js can parse it and say what to
// install instead of failing on the first modern module the CLI imports.
import { nodeVersionProblem } from './check-node.js';

var problem = nodeVersionProblem(process.versions.node, process.execPath);
if (problem) {
  process.stderr.write(problem + '\n');
  process.exitCode = 2;
} else {
  import('node:module')
    .then(function (module) {
      // Compiled code is kept between runs (in the user's cache directory, not a shared one): a
      // command loads a hundred modules or more, and compiling them again costs more than reading
      // them. NODE_COMPILE_CACHE (Node enabled it before this ran) and NODE_DISABLE_COMPILE_CACHE win;
      // a relative XDG_CACHE_HOME is ignored, as the XDG spec says.
      var home = process.env.HOME;
      var xdgCache = process.env.XDG_CACHE_HOME;
      var cacheHome = xdgCache && xdgCache.charAt(0) === '/' ? xdgCache : home ? home + '/.cache' : '';
      if (cacheHome && module.enableCompileCache) {
        try {
          module.enableCompileCache(cacheHome + '/tidepool/node-compile-cache');
        } catch {
          // A cache is only an optimisation.
        }
      }
      return import('../dist/cli/main.js');
    })
    .then(
      function (cli) {
        return cli.main(process.argv).then(function (code) {
          process.exitCode = code;
        });
      },
      function (error) {
        if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).indexOf('dist') !== -1) {
          process.stderr.write('Tidepool is not built yet (dist/ is missing): run `npm run build` in ' + import.meta.dirname.replace(/\/bin$/, '') + ' (npm ci does it too).\n');
          process.exitCode = 2;
          return;
        }
        throw error;
      },
    );
}
