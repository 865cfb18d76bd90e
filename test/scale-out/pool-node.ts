/** One pool node as an operator runs it: `node bin/tidepool.js pool serve` on a loopback port. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../../bin/tidepool.js');

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
  const child = spawn(process.execPath, [CLI, 'pool', 'serve', '--port', '0', '--log-format', 'json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, TIDEPOOL_LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  while (!/^http:\/\/\S+\n/.test(stdout)) {
    if (child.exitCode !== null) throw new Error(`pool node ${name} exited with ${child.exitCode} before listening: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pool node ${name} printed no URL within 90 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = stdout.split('\n')[0]!.trim();
  return {
    name,
    url,
    address: new URL(url).host,
    child,
    exited,
    stderr: () => stderr,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
