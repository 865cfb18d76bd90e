/**
 * Caps on open connections, applied as each one is accepted: past the total, Node closes it
 * (server.maxConnections); past the per-client cap, it is destroyed here before any byte is read.
 * Idle and slow connections are ended by the server's header, request and keep-alive timeouts, so
 * a flood of connections that never send a request costs a bounded number of descriptors for a
 * bounded time, and a fresh client can still reach /healthz.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export type ConnectionRejection = 'total' | 'per_client';

export interface ConnectionLimits {
  maxConnections: number;
  maxConnectionsPerClient: number;
}

/** Connections by client address, counted from accept to close. */
export function limitConnections(server: Server, limits: ConnectionLimits, onReject: (reason: ConnectionRejection, address: string) => void): void {
  server.maxConnections = limits.maxConnections;
  server.on('drop', (data?: { remoteAddress?: string }) => onReject('total', clientKey(data?.remoteAddress)));
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const key = clientKey(socket.remoteAddress);
    const count = (open.get(key) ?? 0) + 1;
    if (count > limits.maxConnectionsPerClient) {
      socket.destroy();
      onReject('per_client', key);
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}

/**
 * Who a connection counts against: its IPv4 address (also when it arrives IPv4-mapped), or the /64
 * of an IPv6 address, because one IPv6 host usually holds a whole /64.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const bare = address.toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare);
  if (mapped) return mapped[1]!;
  if (!bare.includes(':')) return bare;
  const [head = '', tail = ''] = bare.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = bare.includes('::') ? [...headGroups, ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups] : headGroups;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
