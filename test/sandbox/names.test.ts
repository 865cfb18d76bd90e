import { describe, expect, it } from 'vitest';
import { createSandbox, InvalidInputError, ConfigurationError, resolveSandboxType, SANDBOX_TYPES } from '../../src/index.js';

describe('resolveSandboxType', () => {
  it.each([
    ['Local', 'Local'],
    ['local', 'Local'],
    ['LOCAL', 'Local'],
    ['Sandbox-Pool', 'Sandbox-Pool'],
    ['pool', 'Sandbox-Pool'],
    ['sandbox-aca', 'Sandbox-ACA'],
    ['ACA', 'Sandbox-ACA'],
    ['e2b', 'Sandbox-E2B'],
    ['Sandbox-E2B', 'Sandbox-E2B'],
    [' daytona ', 'Sandbox-Daytona'],
    ['SANDBOX-DAYTONA', 'Sandbox-Daytona'],
  ])('maps %s to %s', (name, expected) => {
    expect(resolveSandboxType(name)).toBe(expected);
  });

  it('rejects an unknown name with a message listing every valid one', () => {
    expect(() => resolveSandboxType('docker')).toThrow(InvalidInputError);
    try {
      resolveSandboxType('docker');
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('Unknown sandbox "docker"');
      for (const name of [...SANDBOX_TYPES, 'local', 'pool', 'aca', 'e2b', 'daytona']) expect(message).toContain(name);
    }
  });
});

describe('createSandbox', () => {
  it('creates a Local sandbox without starting anything', async () => {
    const sandbox = createSandbox('local');
    expect(sandbox.type).toBe('Local');
    expect(sandbox.banner).toBe('');
    const session = sandbox.session('no-io-yet');
    expect(session.identifier).toBe('no-io-yet');
    await sandbox.close();
  });

  it('gives the same session object for the same identifier, and a random one when omitted', async () => {
    const sandbox = createSandbox('Local');
    expect(sandbox.session('a')).toBe(sandbox.session('a'));
    const first = sandbox.session();
    const second = sandbox.session();
    expect(first.identifier).not.toBe(second.identifier);
    expect(first.identifier).toMatch(/^[0-9a-f-]{36}$/);
    await sandbox.close();
  });

  it('throws the root error type for unknown names, so one catch covers it', () => {
    expect(() => createSandbox('nope')).toThrow(InvalidInputError);
    expect(ConfigurationError.prototype).toBeInstanceOf(Error);
  });
});
