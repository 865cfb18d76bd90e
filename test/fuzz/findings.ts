/**
 * What the fuzzers found, each with the module fixed. The list lives in reports/findings.json so
 * the robustness report can print it; findings.test.ts replays every one on each run.
 */
import { readFileSync } from 'node:fs';

export interface Finding {
  id: string;
  /** The fuzzer (test file) whose property failed. */
  foundBy: string;
  /** Where the fix went. */
  module: string;
  summary: string;
}

export const FINDINGS: readonly Finding[] = JSON.parse(readFileSync(new URL('../../reports/findings.json', import.meta.url), 'utf8')) as Finding[];
