/**
 * A test host of the test's own: a network namespace joined to this machine by a veth pair, with
 * a TCP server that answers "hi". It stands in for "somewhere on the internet" when checking that a
 * session with egress reaches the outside but not this machine. Root only; removed by close().
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface TestHost {
  /** The test host's address, reachable from this machine through the veth pair. */
  address: string;
  /** This machine's end of the veth pair (one of the host's own addresses while the test host lives). */
  hostSideAddress: string;
  port: number;
  close(): Promise<void>;
}

function ip(...args: string[]): void {
  const done = spawnSync('ip', args, { encoding: 'utf8' });
  if (done.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${done.stderr}`);
}

export async function startTestHost(): Promise<TestHost> {
  const tag = randomBytes(3).toString('hex');
  const namespace = `tp-host-${tag}`;
  const outside = `tpo${tag}`;
  const inside = `tpi${tag}`;
  // TEST-NET-3 (documentation addresses): routed nowhere outside this machine.
  const address = '203.0.113.2';
  const hostSideAddress = '203.0.113.1';
  const port = 8080;
  ip('netns', 'add', namespace);
  const cleanup = () => {
    spawnSync('ip', ['link', 'del', outside]);
    spawnSync('ip', ['netns', 'del', namespace]);
  };
  try {
    ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
    ip('link', 'set', inside, 'netns', namespace);
    ip('addr', 'add', `${hostSideAddress}/24`, 'dev', outside);
    ip('link', 'set', outside, 'up');
    ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', inside);
    ip('-n', namespace, 'link', 'set', inside, 'up');
    ip('-n', namespace, 'link', 'set', 'lo', 'up');
  } catch (error) {
    cleanup();
    throw error;
  }
  const server = spawn(
    'ip',
    ['netns', 'exec', namespace, '/usr/bin/python3', '-c', [
      'import socket',
      's = socket.create_server(("0.0.0.0", 8080))',
      'print("listening", flush=True)',
      'while True:',
      '    c, _ = s.accept()',
      '    c.sendall(b"hi")',
      '    c.close()',
    ].join('\n')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    server.stdout.once('data', () => resolve());
    server.once('exit', (code) => reject(new Error(`test host server exited with ${code}`)));
  });
  return {
    address,
    hostSideAddress,
    port,
    async close() {
      server.kill('SIGKILL');
      cleanup();
    },
  };
}
