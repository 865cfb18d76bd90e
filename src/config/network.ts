/**
 * The one loopback rule. Several security decisions hang on it — a pool binding without a key, a
 * token sent over plain HTTP, the unsandboxed Local agent offered in the web UI — so they must agree
 * on what "only this machine can reach it" means.
 */
import { isIPv6 } from 'node:net';

/**
 * True for host names and addresses that only this machine can reach: `localhost`, 127.0.0.0/8,
 * `::1`, and IPv4-mapped IPv6 forms of 127.0.0.0/8. Accepts URL hostnames (`[::1]`) and bare bind
 * addresses alike; other spellings of the same address (`127.1`, `0x7f.0.0.1`, `0:0::1`) are
 * normalised by the WHATWG URL parser first, as every HTTP client here will. The wildcard
 * addresses `0.0.0.0` and `::` are not loopback: binding them reaches every interface.
 */
export function isLoopback(host: string): boolean {
  const bare = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (bare === '') return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${isIPv6(bare) ? `[${bare}]` : bare}/`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return false;
  }
  if (hostname === 'localhost' || hostname === '::1') return true;
  const ipv4 = /^(\d+)\.\d+\.\d+\.\d+$/.exec(hostname);
  if (ipv4) return ipv4[1] === '127';
  // The parser writes an IPv4-mapped address as ::ffff:HHHH:HHHH; its first byte is the IPv4 one.
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(hostname);
  return mapped !== null && parseInt(mapped[1]!, 16) >> 8 === 127;
}
