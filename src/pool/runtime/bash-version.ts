/**
 * The version of the bash a Shell pool's sessions run. Sessions see the host's /usr read-only, so
 * the host's /bin/bash is theirs; the metadata route reports it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function bashVersion(): Promise<string> {
  try {
    const { stdout } = await run('/bin/bash', ['--norc', '--noprofile', '-c', 'printf %s "$BASH_VERSION"'], { timeout: 10_000, env: {} });
    return stdout.trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}
