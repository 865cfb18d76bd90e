/**
 * What a NodeLTS pool adds to the zygote: the Node.js binary its sessions run, and the files of the
 * JavaScript kernel (javascript/tidepool_kernel.cjs and its parser, acorn).
 *
 * The zygote cannot read the package's folders or node_modules (bubblewrap shows it only /usr and
 * its own Python files), so the server copies the two sources into the pool directory and the
 * zygote reads them once at start; each session's kernel gets them as in-memory files. The binary
 * is bound read-only at a fixed place inside the sandbox, so sessions find it whatever the host's
 * layout (a Node under /root or /tmp would be hidden by the sessions' own /root and /tmp).
 */
import { copyFile, realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { JAVASCRIPT_DIR } from '../../paths.js';
import type { PoolSettings } from '../types.js';

/** Where sessions of a sandboxed NodeLTS pool find `node` (also first on their PATH). */
export const SANDBOX_NODE_DIR = '/run/tidepool/node/bin';
const KERNEL_FILE = 'tidepool_kernel.cjs';
const ACORN_FILE = 'acorn.js';

/** The binary a NodeLTS pool's sessions run: the one running this server (Node ≥ 22). */
export function hostNodePath(): string {
  return process.execPath;
}

/** The zygote's `nodeKernel` config for a NodeLTS pool (copying the sources into the pool directory); undefined for other pools. */
export async function nodeKernelConfig(settings: PoolSettings, hostDir: string): Promise<Record<string, string> | undefined> {
  if (settings.containerType !== 'node') return undefined;
  const acorn = createRequire(import.meta.url).resolve('acorn');
  await copyFile(acorn, path.join(hostDir, ACORN_FILE));
  await copyFile(path.join(JAVASCRIPT_DIR, KERNEL_FILE), path.join(hostDir, KERNEL_FILE));
  const node = settings.isolation === 'none' ? hostNodePath() : `${SANDBOX_NODE_DIR}/node`;
  return { node, acorn: ACORN_FILE, kernel: KERNEL_FILE };
}

/** bubblewrap arguments that show a NodeLTS pool's binary to the zygote and its sessions. */
export async function nodeBinds(settings: PoolSettings): Promise<string[]> {
  if (settings.containerType !== 'node') return [];
  // Directories bubblewrap makes are root's and private unless told otherwise; sessions run as other uids.
  const dirs = [path.dirname(SANDBOX_NODE_DIR), SANDBOX_NODE_DIR].flatMap((dir) => ['--perms', '0755', '--dir', dir]);
  return [...dirs, '--ro-bind', await realpath(hostNodePath()), `${SANDBOX_NODE_DIR}/node`];
}
