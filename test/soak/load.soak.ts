/**
 * Load and noisy neighbours, run on demand by `npm run soak` (not in CI: a minute of 200 clients
 * and ten spinning sessions would swamp a shared two-core runner). Sizes come from TIDEPOOL_LOAD_*.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runLoad, runNoisyNeighbours } from './support/load-run.js';

function setting(name: string, fallback: number): number {
  const raw = process.env[`TIDEPOOL_LOAD_${name}`];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`TIDEPOOL_LOAD_${name} must be a positive number, got "${raw}".`);
  return value;
}

/** The most the quiet session's p99 may grow next to spinning neighbours. */
const MAX_NOISY_RATIO = 5;

async function record(name: string, value: unknown): Promise<void> {
  const dir = process.env.TIDEPOOL_ROBUSTNESS_RECORD_DIR;
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(value, null, 2)}\n`);
}

const load = { clients: setting('CLIENTS', 200), sessions: setting('SESSIONS', 100), seconds: setting('SECONDS', 60) };
const noisy = { noisySessions: setting('NOISY', 10), samples: setting('SAMPLES', 400), rounds: setting('ROUNDS', 4) };

it(`serves ${load.clients} concurrent clients on ${load.sessions} sessions for ${load.seconds} s without an error or a crossed answer`, async () => {
  const result = await runLoad(load, (line) => console.log(`[load] ${line}`));
  await record('load', result);
  expect(result.crossed).toBe(0);
  expect(result.errorsByKind).toEqual({});
  expect(result.requests).toBeGreaterThan(0);
}, load.seconds * 1000 + 600_000);

it(`keeps a quiet session's p99 within ${MAX_NOISY_RATIO}x while ${noisy.noisySessions} sessions spin`, async () => {
  const result = await runNoisyNeighbours(noisy, (line) => console.log(`[noisy] ${line}`));
  await record('noisy-neighbours', { ...result, maxRatio: MAX_NOISY_RATIO });
  expect(result.spinnersRunning).toBe(noisy.noisySessions * noisy.rounds);
  expect(result.ratio).toBeLessThanOrEqual(MAX_NOISY_RATIO);
}, 600_000);
