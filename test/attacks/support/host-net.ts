/**
 * Things on the host for a session to try to reach: TCP listeners on loopback and on the host's
 * own non-loopback addresses, and an abstract unix socket. Each counts the connections it got.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** The host's IPv4 addresses other than loopback, from `ip -4 -o addr`. */
export function hostAddresses(): string[] {
  const output = execFileSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' });
  const addresses = [...output.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)].map((match) => match[1]!);
  return [...new Set(addresses.filter((address) => !address.startsWith('127.')))];
}

export interface Listener {
  /** host:port, or the abstract name without its leading NUL. */
  address: string;
  host?: string;
  port?: number;
  connections(): number;
  close(): Promise<void>;
}

function counting(server: net.Server): { connections: () => number; close: () => Promise<void> } {
  let count = 0;
  const open = new Set<net.Socket>();
  server.on('connection', (socket) => {
    count++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
    socket.end('hi');
  });
  return {
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function listenTcp(host: string): Promise<Listener> {
  const server = net.createServer();
  const { connections, close } = counting(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return { address: `${host}:${port}`, host, port, connections, close };
}

export async function listenAbstract(): Promise<Listener> {
  const name = `tidepool-attack-${randomBytes(6).toString('hex')}`;
  const server = net.createServer();
  const { connections, close } = counting(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(`\0${name}`, () => resolve());
  });
  return { address: name, connections, close };
}

/** A connection attempt from the host, with a deadline. */
export function connectFromHost(host: string, port: number, timeoutMs = 3_000): Promise<{ connected: boolean; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ connected: false, error: 'timeout' });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ connected: true });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ connected: false, error: error.code ?? error.message });
    });
  });
}

/** Python for a cell that tries every target and reports, per target, whether it connected and how long it took. */
export function connectCell(tcp: Array<[string, number]>, abstractNames: string[], timeoutSeconds = 3): string {
  return String.raw`
import json, socket, time
outcomes = {}
def attempt(label, family, address):
    started = time.monotonic()
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(${timeoutSeconds})
    try:
        sock.connect(address)
        try:
            sock.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
            got = sock.recv(64).decode("latin1")
        except OSError:
            got = ""
        outcomes[label] = {"connected": True, "got": got, "ms": round((time.monotonic() - started) * 1000)}
    except OSError as exc:
        outcomes[label] = {"connected": False, "error": type(exc).__name__ + ": " + str(exc), "ms": round((time.monotonic() - started) * 1000)}
    finally:
        sock.close()
for host, port in ${JSON.stringify(tcp)}:
    attempt("%s:%d" % (host, port), socket.AF_INET, (host, port))
for name in ${JSON.stringify(abstractNames)}:
    attempt("@" + name, socket.AF_UNIX, "\0" + name)
json.dumps(outcomes)
`;
}

export interface ConnectOutcome {
  connected: boolean;
  got?: string;
  error?: string;
  ms: number;
}
