/**
 * `research` and `compare` when the research finds nothing (Open-Meteo failing everywhere): the
 * lifecycle says failed, the exit code is 1, and failed answers are never said to "agree".
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { compareAnswers, type BackendResult } from '../../src/cli/compare/compare-backends.js';
import { researchAnswer } from '../../src/tools/research-answer.js';
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

  test('each run whose answer is a failure reads as failed in the lifecycle lines, never finished', async () => {
    failEverything();
    const run = await cli(['compare', 'Paris', '--sandboxes', 'local', '--runs', '2']);
    expect(run.code).toBe(1);
    expect(run.stderr.match(/^❌ Local Sandbox failed for Paris/gm)).toHaveLength(2);
    expect(run.stderr).not.toContain('✅');
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

describe('what counts as an answer', () => {
  const place = { query: 'Paris', ok: true };
  const failedPlace = { query: 'Paris', ok: false, message: 'Open-Meteo forecast answered HTTP 500.' };
  const output = (data: object) => ({ text: '', sandboxType: 'Local', timings: { totalMs: 1 }, data: { destination: 'Paris', today: TODAY, places: [], ...data } }) as never;
  const backend = (sandboxType: string, data: object): BackendResult => {
    const result = output(data);
    return { sandboxType, status: 'ok', runs: [], output: result, answer: researchAnswer(result) } as BackendResult;
  };

  test('a program error or places that all failed is no answer, with the reason', () => {
    expect(researchAnswer(output({ places: [place] }))).toEqual({ ok: true });
    expect(researchAnswer(output({ places: [failedPlace] }))).toEqual({ ok: false, reason: failedPlace.message });
    expect(researchAnswer(output({ error: 'The weather program failed.' }))).toEqual({ ok: false, reason: 'The weather program failed.' });
    expect(researchAnswer(undefined)).toEqual({ ok: false, reason: 'no output' });
  });

  test('compares only answers that exist', () => {
    expect(compareAnswers([backend('Local', { places: [place] }), backend('Sandbox-Pool', { places: [failedPlace] })])).toEqual({ answered: ['Local'], agree: true, disagreeing: [] });
  });

  test('two answers that differ disagree; a backend that failed to run is not compared', () => {
    const failedRun = { sandboxType: 'Sandbox-E2B', status: 'failed', reason: 'no key', runs: [] } as BackendResult;
    const summary = compareAnswers([backend('Local', { places: [place] }), backend('Sandbox-Pool', { places: [{ ...place, extra: 1 }] }), backend('Sandbox-ACA', { error: 'The weather program failed.' }), failedRun]);
    expect(summary).toEqual({ answered: ['Local', 'Sandbox-Pool'], agree: false, disagreeing: ['Sandbox-Pool'] });
  });

  test('no answers at all agree vacuously, and the command turns that into exit 1', () => {
    expect(compareAnswers([backend('Local', { error: 'x' })])).toEqual({ answered: [], agree: true, disagreeing: [] });
  });
});
