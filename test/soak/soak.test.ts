/**
 * The soak, short in CI and as long as asked through `npm run soak` (which passes its flags in
 * TIDEPOOL_SOAK_* variables). It fails on any lost, duplicated or crossed answer, on anything the
 * pool answered that the model did not expect, on a restart that does not say the old sessions
 * are gone, and on server memory, descriptors or threads that keep growing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runSoak, type SoakOptions } from './support/soak-run.js';

function setting(name: string, fallback: number): number {
  const raw = process.env[`TIDEPOOL_SOAK_${name}`];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`TIDEPOOL_SOAK_${name} must be a positive number, got "${raw}".`);
  return value;
}

const options: SoakOptions = {
  executions: setting('EXECUTIONS', 1_500),
  sessions: setting('SESSIONS', 6),
  minutes: setting('MINUTES', 0.75),
  concurrency: setting('CONCURRENCY', 4),
  seed: setting('SEED', 20_261_202),
  killShare: setting('KILL_SHARE', 0.03),
  sampleEveryMs: setting('SAMPLE_MS', 250),
};
const timeoutMs = options.minutes * 60_000 + 240_000;

it(
  `soaks ${options.sessions} sessions with ${options.executions} executions, kills and a restart, losing and crossing nothing`,
  async () => {
    const result = await runSoak(options, (line) => console.log(`[soak] ${line}`));
    const recordDir = process.env.TIDEPOOL_ROBUSTNESS_RECORD_DIR;
    if (recordDir) {
      await mkdir(recordDir, { recursive: true });
      await writeFile(path.join(recordDir, 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
    }
    expect(result.violationExamples).toEqual([]);
    expect(result.violations).toEqual({ lost: 0, duplicated: 0, crossed: 0, unexpected: 0 });
    expect(result.faults['pool restarted']).toBe(1);
    expect(result.restart.sessionLostAnswers).toBe(result.restart.sessionsCheckedAfter);
    expect(result.restart.asyncAnsweredNotFound).toBe(result.restart.asyncStarted);
    expect(result.trend, JSON.stringify(result.trend)).toMatchObject({ judged: true, flat: true });
  },
  timeoutMs,
);
