/**
 * How hard the fuzzers push and with which seed. CI runs the fixed seed and the short counts;
 * `npm run fuzz -- --runs N [--seed S]` passes larger ones through the environment, and names
 * a file each property's figures are written to, for reports/robustness.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The seed CI uses, so a failure there replays exactly on any machine. */
export const CI_SEED = 20_261_202;

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a whole number of 1 or more, got "${raw}".`);
  return value;
}

function integer(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be a whole number, got "${raw}".`);
  return value;
}

export interface FuzzSettings {
  seed: number;
  /** Runs of each property, scaled by the property's own weight (cheap properties run more), at least `floor`. */
  runs(weight?: number, floor?: number): number;
  /** The directory this run's figures go to (one JSON file per fuzzer), or undefined in a plain test run. */
  recordDir: string | undefined;
}

export function fuzzSettings(defaultRuns: number): FuzzSettings {
  const base = positiveInteger('TIDEPOOL_FUZZ_RUNS', defaultRuns);
  return {
    seed: integer('TIDEPOOL_FUZZ_SEED', CI_SEED),
    runs: (weight = 1, floor = 1) => Math.max(floor, Math.round(base * weight)),
    recordDir: process.env.TIDEPOOL_ROBUSTNESS_RECORD_DIR || undefined,
  };
}

/** Writes one fuzzer's figures as `<dir>/<name>.json`; files per fuzzer, since test files run in parallel. */
export async function recordFuzzSection(dir: string | undefined, name: string, section: unknown): Promise<void> {
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(section, null, 2)}\n`);
}

/** Counts by key, for "requests by route" and "answers by status". */
export class Tally {
  readonly counts: Record<string, number> = {};

  add(key: string, by = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + by;
  }

  get total(): number {
    return Object.values(this.counts).reduce((sum, count) => sum + count, 0);
  }
}
