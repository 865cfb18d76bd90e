// Command-line parsing shared by the npm run scripts: a bad flag prints the usage and exits 2,
// --help prints it and exits 0.
import console from 'node:console';
import process from 'node:process';
import { parseArgs } from 'node:util';

export function parseScriptArgs(options, usage) {
  let values;
  try {
    ({ values } = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    console.error(`${error.message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}
