import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { OpenMeteoReplay } from '../support/open-meteo-replay.js';
import { MemoryStream } from '../support/streams.js';
import { startWeatherReplay, TODAY } from './helpers.js';

let replay: OpenMeteoReplay;
beforeAll(async () => {
  replay = await startWeatherReplay();
});
afterAll(async () => {
  await replay.close();
});

async function cli(args: string[]) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const env = {
    PATH: process.env.PATH,
    TIDEPOOL_TODAY: TODAY,
    ...replay.env,
    TIDEPOOL_POOL_READY_SESSIONS: '1',
  };
  const code = await main(['node', 'tidepool', ...args], { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('tidepool research', () => {
  test('prints the research on stdout and lifecycle lines with timings on stderr', async () => {
    const run = await cli(['research', 'Paris', '--sandbox', 'local']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('🌍 Weather for Paris, Île-de-France, France');
    expect(run.stdout).toContain('💡 Travel Dates: Current conditions');
    expect(run.stderr).toMatch(/^💻 Local Sandbox creating for Paris$/m);
    expect(run.stderr).toMatch(/^✓ Local Sandbox created \(\d+ms\)$/m);
    expect(run.stderr).toMatch(/^▶️ Local Sandbox code execution starting for Paris \(\d+ms\)$/m);
    expect(run.stderr).toMatch(/^✅ Local Sandbox execution finished for Paris \(\d+ms, execution \d+ms\)$/m);
    expect(run.stderr).toMatch(/^🔒 Local Sandbox closed for Paris \(total: \d+ms\)$/m);
  });

  test('--json carries the structured form; the pool backend prints its banner', async () => {
    const run = await cli(['research', 'Paris', '--dates', 'July 2024', '--sandbox', 'pool', '--json']);
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout);
    expect(output.sandboxType).toBe('Sandbox-Pool');
    expect(output.text.split('\n')[0]).toBe('🌊 [Tidepool Pool Sandbox]');
    expect(output.data.places[0].past.summary).toMatchObject({ meanHighC: 25.85, meanLowC: 15.86, totalPrecipitationMm: 49.3, wetDays: 10 });
    expect(output.timings.totalMs).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/🌊 Pool Sandbox creating for Paris/);
  });

  test('dates it cannot understand: exit 1 with examples', async () => {
    const run = await cli(['research', 'Paris', '--dates', 'soonish', '--sandbox', 'local']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Could not understand the travel dates "soonish". Try for example');
  });

  test('an unknown sandbox name is a usage error', async () => {
    const run = await cli(['research', 'Paris', '--sandbox', 'docker']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Unknown sandbox "docker"');
  });
});

describe('tidepool compare', () => {
  test('runs configured backends, lists the others with the reason, and says the answers agree', async () => {
    const run = await cli(['compare', 'Paris', '--sandboxes', 'local,pool,aca', '--runs', '2', '--quiet']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Backend\s+Ready p50\/p95 ms\s+Execution p50\/p95 ms\s+Total p50\/p95 ms\s+Est. cost\/run$/m);
    expect(run.stdout).toMatch(/^Local\s+\d+ \/ \d+\s+\d+ \/ \d+\s+\d+ \/ \d+\s+\$0 \(own machine\)$/m);
    expect(run.stdout).toMatch(/^Sandbox-Pool\s+\d+ \/ \d+/m);
    expect(run.stdout).toMatch(/^ {2}Sandbox-ACA: not configured: .*ACA_POOL_MANAGEMENT_ENDPOINT/m);
    expect(run.stdout).toContain('Outputs agree: Local, Sandbox-Pool gave the same structured answer.');
    expect(run.stderr).toBe('');
  });

  test('--json reports rates and per-run timings', async () => {
    const run = await cli(['compare', 'Paris', '--dates', 'July 2024', '--sandboxes', 'local,e2b', '--json', '--quiet']);
    const report = JSON.parse(run.stdout);
    expect(report.agree).toBe(true);
    expect(report.backends[0]).toMatchObject({ sandboxType: 'Local', status: 'ok', costPerSecondUsd: 0 });
    expect(report.backends[0].runs).toHaveLength(1);
    expect(report.backends[1]).toMatchObject({ sandboxType: 'Sandbox-E2B', status: 'unconfigured' });
    expect(report.backends[1].reason).toMatch(/E2B_API_KEY/);
  });
});
