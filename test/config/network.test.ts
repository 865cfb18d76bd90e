import { describe, expect, it } from 'vitest';
import { isLoopback } from '../../src/config/network.js';

describe('isLoopback', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['127.255.255.255', true],
    ['127.1', true],
    ['0x7f.0.0.1', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['[::ffff:127.0.0.1]', true],
    ['::ffff:7f00:1', true],
    ['::ffff:10.0.0.1', false],
    ['', false],
    ['   ', false],
    ['0.0.0.0', false],
    ['::', false],
    ['[::]', false],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['192.0.2.2', false],
    ['localhost.example.com', false],
    ['127.0.0.1.example.com', false],
    ['example.com', false],
    ['::2', false],
    ['not a host', false],
  ];
  it.each(cases)('%j → %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});
