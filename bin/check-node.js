// Plain JavaScript that any Node.js version can parse and run: nothing else of Tidepool may load
// before this check, because the rest needs Node.js 22.12 or newer (node:sqlite, among others).
// `node bin/check-node.js` runs the check alone and exits 2 when the version is too old.
import { fileURLToPath } from 'node:url';

var NEEDED_MAJOR = 22;
var NEEDED_MINOR = 12;

/** The one line to print when this Node.js is too old, or null when it will do. */
export function nodeVersionProblem(version, execPath) {
  var parts = String(version).split('.');
  var major = Number(parts[0]);
  var minor = Number(parts[1]);
  if (major > NEEDED_MAJOR || (major === NEEDED_MAJOR && minor >= NEEDED_MINOR)) return null;
  return (
    'Tidepool needs Node.js ' + NEEDED_MAJOR + '.' + NEEDED_MINOR + ' or newer, but this is Node.js ' + version + ' (' + execPath + '). ' +
    'Install Node.js 24 with: npm install -g --prefix /opt/node24 node@24 && export PATH=/opt/node24/bin:$PATH'
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  var problem = nodeVersionProblem(process.versions.node, process.execPath);
  if (problem) {
    process.stderr.write(problem + '\n');
    process.exitCode = 2;
  }
}
