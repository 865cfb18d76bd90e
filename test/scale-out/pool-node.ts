/** One pool node as an operator runs it: `node bin/tidepool.js pool serve` on a loopback port. */
import type { ChildProcess } from 'node:child_process';
import { CLI_ENTRY, startServedProcess } from '../support/pool-serve-process.js';

export interface PoolNode {
  name: string;
  url: string;
  /** "127.0.0.1:port", as an nginx upstream server. */
  address: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr(): string;
  /** Ends the node if it still runs (SIGKILL; its zygote and sessions die with it). */
  kill(): Promise<void>;
}

export async function startPoolNode(name: string, args: string[]): Promise<PoolNode> {
  const served = await startServedProcess([CLI_ENTRY, 'pool', 'serve', '--port', '0', '--log-format', 'json', ...args], {
    env: { PATH: process.env.PATH, TIDEPOOL_LOG_LEVEL: 'warn' },
  }).catch((error: Error) => {
    throw new Error(`pool node ${name}: ${error.message}`);
  });
  const { child, url } = served;
  const exited = served.exited.then((exit) => exit.code);
  return {
    name,
    url,
    address: new URL(url).host,
    child,
    exited,
    stderr: served.stderr,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
