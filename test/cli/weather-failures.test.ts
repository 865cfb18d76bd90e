/**
 * `research` and `compare` when the research finds nothing (Open-Meteo failing everywhere): the
 * lifecycle says failed, the exit code is 1, and failed answers are never said to "agree".
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { summarizeAnswers } from '../../src/cli/commands/compare.js';
import type { ComparisonReport } from '../../src/index.js';
import type { OpenMeteoReplay } from '../support/open-meteo-replay.js';
import { MemoryStream } from '../support/streams.js';
import { startWeatherReplay, TODAY } from '../weather/helpers.js';

let replay: OpenMeteoReplay;
beforeAll(async () => {
  replay = await startWeatherReplay();
});
afterAll(async () => {
  await replay.close();
});
afterEach(() => {
  replay.clearFaults();
});

/** Every Open-Meteo request fails, as with no usable network. */
function failEverything(): void {
  replay.inject({ fault: { kind: 'status', status: 500, body: { error: true, reason: 'Service unavailable.' } } });
}

async function cli(args: string[]) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const env = { PATH: process.env.PATH, TIDEPOOL_TODAY: TODAY, ...replay.env, TIDEPOOL_POOL_READY_SESSIONS: '1' };
  const code = await main(['node', 'tidepool', ...args], { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('tidepool research whose answer is a failure', () => {
  test('the lifecycle line says failed, not finished, and the exit code is 1', async () => {
    failEverything();
    const run = await cli(['research', 'Paris', '--sandbox', 'local']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Open-Meteo geocoding answered HTTP 500');
    expect(run.stderr).toMatch(/^❌ Local Sandbox failed for Paris \(\d+ms\)$/m);
    expect(run.stderr).not.toContain('✅');
    // Still in order: the run, then the close.
    expect(run.stderr.indexOf('❌')).toBeLessThan(run.stderr.indexOf('🔒 Local Sandbox closed'));
  });

  test('a research that answers still says finished', async () => {
    const run = await cli(['research', 'Paris', '--sandbox', 'local']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^✅ Local Sandbox execution finished for Paris/m);
  });
});

describe('tidepool compare when no backend produces an answer', () => {
  test('says so and exits 1, instead of calling identical failures an agreement', async () => {
    failEverything();
    const run = await cli(['compare', 'Paris', '--sandboxes', 'local,pool', '--quiet']);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('Outputs agree');
    expect(run.stdout).toContain('No backend produced an answer, so there is nothing to compare.');
    expect(run.stdout).toMatch(/^Ran, but found no answer:\n {2}Local: .*HTTP 500.*\n {2}Sandbox-Pool: .*HTTP 500/m);
  });

  test('--json reports which backends answered, and agreement among those only', async () => {
    failEverything();
    const run = await cli(['compare', 'Paris', '--sandboxes', 'local', '--json', '--quiet']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.answered).toEqual([]);
    expect(report.backends[0]).toMatchObject({ sandboxType: 'Local', status: 'ok', answered: false });
  });
});

describe('summarizeAnswers', () => {
  const place = { query: 'Paris', ok: true };
  const failedPlace = { query: 'Paris', ok: false, message: 'Open-Meteo forecast answered HTTP 500.' };
  const backend = (sandboxType: string, data: object) => ({ sandboxType, status: 'ok', runs: [], output: { text: '', sandboxType, timings: { totalMs: 1 }, data: { destination: 'Paris', today: TODAY, ...data } } });
  const report = (...backends: object[]) => ({ backends, agree: true, disagreeing: [] }) as unknown as ComparisonReport;

  test('compares only answers that exist', () => {
    const summary = summarizeAnswers(report(backend('Local', { places: [place] }), backend('Sandbox-Pool', { places: [failedPlace] })));
    expect(summary).toEqual({ answered: ['Local'], noAnswer: [{ sandboxType: 'Sandbox-Pool', reason: failedPlace.message }], agree: true, disagreeing: [] });
  });

  test('two answers that differ disagree; a program error is no answer', () => {
    const summary = summarizeAnswers(report(backend('Local', { places: [place] }), backend('Sandbox-Pool', { places: [{ ...place, extra: 1 }] }), backend('Sandbox-ACA', { places: [], error: 'The weather program failed.' })));
    expect(summary.answered).toEqual(['Local', 'Sandbox-Pool']);
    expect(summary).toMatchObject({ agree: false, disagreeing: ['Sandbox-Pool'], noAnswer: [{ sandboxType: 'Sandbox-ACA', reason: 'The weather program failed.' }] });
  });
});
