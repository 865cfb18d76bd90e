import { describe, expect, it } from 'vitest';
import { TravelAgents } from '../../src/agent/travel-agents.js';
import { ConfigurationError } from '../../src/errors.js';
import { createLocalSandbox } from '../../src/sandbox/backends/local/local-sandbox.js';

describe('TravelAgents', () => {
  it('shows every backend, with the factory\'s ConfigurationError as the reason when it refuses', async () => {
    const agents = new TravelAgents({
      env: { E2B_API_KEY: 'e2b_test', DAYTONA_API_KEY: 'dtn_test', ACA_POOL_MANAGEMENT_ENDPOINT: 'https://example.invalid/pool' },
      createSandbox: (name, options) => {
        if (name === 'Sandbox-ACA') throw new ConfigurationError('Set ACA_POOL_MANAGEMENT_ENDPOINT to a real pool.');
        return createLocalSandbox(options);
      },
    });
    expect(agents.list()).toEqual([
      { id: 'travel-local', name: expect.any(String), sandboxType: 'Local', available: true },
      { id: 'travel-pool', name: expect.any(String), sandboxType: 'Sandbox-Pool', available: true },
      { id: 'travel-aca', name: expect.any(String), sandboxType: 'Sandbox-ACA', available: false, reason: 'Set ACA_POOL_MANAGEMENT_ENDPOINT to a real pool.' },
      { id: 'travel-e2b', name: expect.any(String), sandboxType: 'Sandbox-E2B', available: true },
      { id: 'travel-daytona', name: expect.any(String), sandboxType: 'Sandbox-Daytona', available: true },
    ]);
    expect(agents.get('pool').id).toBe('travel-pool');
    expect(agents.get('Sandbox-E2B').id).toBe('travel-e2b');
    expect(() => agents.get('travel-mars')).toThrow(/travel-local, travel-pool/);
    await agents.close();
  });

  it('switches a backend off with a reason (Local when serving beyond loopback)', async () => {
    const agents = new TravelAgents({ env: {}, disabled: { Local: 'off for this test' } });
    expect(agents.get('local')).toMatchObject({ available: false, reason: 'off for this test' });
    expect(agents.get('local').sandbox).toBeUndefined();
    expect(agents.defaultAgentId()).toBe('travel-pool');
    await agents.close();
  });
});
