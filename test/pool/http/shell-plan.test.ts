/** The container-type setting and how each kind of pool plans (or refuses) an execution body. */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors.js';
import { PoolApiError } from '../../../src/pool/http/errors.js';
import { planExecution } from '../../../src/pool/http/execution-plan.js';
import { planShellExecution } from '../../../src/pool/http/shell-plan.js';
import { parseExecutionFields } from '../../../src/pool/http/validation.js';
import { resolvePoolSettings } from '../../../src/pool/settings.js';

const python = resolvePoolSettings({ pythonPath: '/usr/bin/python3' }, {});
const shell = resolvePoolSettings({ pythonPath: '/usr/bin/python3', containerType: 'shell', maxExecutionSeconds: 30 }, {});
const fields = (body: unknown) => parseExecutionFields(body, 'the request body');

function refusal(run: () => unknown): PoolApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof PoolApiError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('containerType setting', () => {
  it('defaults to python, reads TIDEPOOL_POOL_CONTAINER_TYPE, and the option wins', () => {
    expect(python.containerType).toBe('python');
    expect(resolvePoolSettings({ pythonPath: '/usr/bin/python3' }, { TIDEPOOL_POOL_CONTAINER_TYPE: 'Shell' }).containerType).toBe('shell');
    expect(resolvePoolSettings({ pythonPath: '/usr/bin/python3', containerType: 'python' }, { TIDEPOOL_POOL_CONTAINER_TYPE: 'shell' }).containerType).toBe('python');
  });

  it('refuses an unknown kind, naming the variable and the flag', () => {
    const run = () => resolvePoolSettings({ pythonPath: '/usr/bin/python3' }, { TIDEPOOL_POOL_CONTAINER_TYPE: 'ruby' });
    expect(run).toThrow(ConfigurationError);
    expect(run).toThrow(/TIDEPOOL_POOL_CONTAINER_TYPE/);
    expect(run).toThrow(/--container-type/);
    expect(run).toThrow(/python, node, shell/);
    expect(resolvePoolSettings({ pythonPath: '/usr/bin/python3' }, { TIDEPOOL_POOL_CONTAINER_TYPE: 'Node' }).containerType).toBe('node');
  });
});

describe('planning on a Shell pool', () => {
  it('takes shellCommand or execCommandAndArgs with stdin, clamping the timeout to the pool maximum', () => {
    expect(planShellExecution(fields({ shellCommand: 'echo hi', stdin: 'x', timeoutInSeconds: 100 }), shell)).toEqual({
      request: { command: 'echo hi', stdin: 'x' },
      timeoutSeconds: 30,
      timeoutMs: 30_000,
      outputMaxLength: undefined,
    });
    expect(planShellExecution(fields({ execCommandAndArgs: ['ls', '-l'], outputStreamsMaxLength: 4096, timeoutInSeconds: 5 }), shell)).toMatchObject({
      request: { argv: ['ls', '-l'] },
      timeoutMs: 5_000,
      outputMaxLength: 4096,
    });
  });

  it.each([
    [{ shellCommand: 'echo hi', codeInputType: 'Inline' }, 'codeInputType', 'SessionRequestNotSupported'],
    [{ code: 'print(1)' }, 'code', 'SessionRequestNotSupported'],
    [{ shellCommand: 'ls', executionType: 'Asynchronous' }, 'executionType', 'SessionRequestNotSupported'],
    [{}, 'shellCommand', 'SessionRequestValidationFailed'],
    [{ shellCommand: '  ' }, 'shellCommand', 'SessionRequestValidationFailed'],
    [{ shellCommand: 'ls', execCommandAndArgs: ['ls'] }, 'shellCommand', 'SessionRequestValidationFailed'],
    [{ execCommandAndArgs: [] }, 'execCommandAndArgs', 'SessionRequestValidationFailed'],
    [{ execCommandAndArgs: ['ls', 1] }, 'execCommandAndArgs', 'SessionRequestValidationFailed'],
    [{ execCommandAndArgs: 'ls -l' }, 'execCommandAndArgs', 'SessionRequestValidationFailed'],
    [{ shellCommand: 'cat', stdin: ['a'] }, 'stdin', 'SessionRequestValidationFailed'],
  ])('refuses %j (%s) with 400 %s', (body, target, code) => {
    const error = refusal(() => planShellExecution(fields(body), shell));
    expect([error.status, error.azureCode, error.target]).toEqual([400, code, target]);
  });

  it('refuses every Python execution (gen-1, gen-2, legacy), naming the pool kind', () => {
    for (const generation of [1, 2] as const) {
      const error = refusal(() => planExecution(fields({ code: 'print(1)' }), shell, generation));
      expect([error.status, error.azureCode]).toEqual([400, 'SessionRequestNotSupported']);
      expect(error.message).toMatch(/Shell sessions/);
    }
    expect(refusal(() => planExecution(fields({ pythonCode: 'print(1)' }), shell, 1)).target).toBe('pythonCode');
  });

  it('leaves a Python pool refusing shell fields', () => {
    const error = refusal(() => planExecution(fields({ shellCommand: 'ls' }), python, 2));
    expect([error.status, error.azureCode, error.target]).toEqual([400, 'SessionRequestNotSupported', 'shellCommand']);
    expect(planExecution(fields({ code: '1 + 1' }), python, 2).code).toBe('1 + 1');
  });
});
