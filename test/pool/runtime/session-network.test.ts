/** Where slirp4netns's DNS forwarder (10.0.2.3) may send a session's queries. */
import { describe, expect, it } from 'vitest';
import { dnsPlan } from '../../../src/pool/runtime/session-network.js';

describe('dnsPlan', () => {
  it("keeps the host's resolver when its first IPv4 nameserver is not on loopback", () => {
    expect(dnsPlan('nameserver 10.255.255.53\n', undefined)).toEqual({ kind: 'host' });
    expect(dnsPlan('# comment\nsearch lan\nnameserver 192.0.2.53\nnameserver 127.0.0.1\n', undefined)).toEqual({ kind: 'host' });
  });

  it("uses systemd-resolved's upstream servers (never loopback ones) when the host's resolver is on loopback", () => {
    expect(dnsPlan('nameserver 127.0.0.53\noptions edns0 trust-ad\n', 'nameserver 127.0.0.1\nnameserver 192.0.2.53\nnameserver 198.51.100.53\n')).toEqual({
      kind: 'upstreams',
      resolvConf: 'nameserver 192.0.2.53\nnameserver 198.51.100.53\n',
    });
  });

  it('turns DNS off when the only resolver is on loopback, or there is no IPv4 one (slirp4netns would then send to 127.0.0.1)', () => {
    expect(dnsPlan('nameserver 127.0.0.53\n', undefined)).toEqual({ kind: 'off' });
    expect(dnsPlan('nameserver 127.0.0.53\n', 'nameserver 127.0.0.1\n')).toEqual({ kind: 'off' });
    expect(dnsPlan('nameserver ::1\n', undefined)).toEqual({ kind: 'off' });
    expect(dnsPlan('', undefined)).toEqual({ kind: 'off' });
    expect(dnsPlan('nameserver 0.0.0.0\n', undefined)).toEqual({ kind: 'off' });
  });
});
