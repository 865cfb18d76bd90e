/**
 * What the fuzzers found, each with the module fixed and the regression test that replays it.
 * The robustness report lists these; findings.test.ts replays every one on each run.
 */
export interface Finding {
  id: string;
  /** The fuzzer (test file) whose property failed. */
  foundBy: string;
  /** Where the fix went. */
  module: string;
  summary: string;
}

export const FINDINGS: readonly Finding[] = [
  {
    id: 'truncated-multipart-keeps-file',
    foundBy: 'test/fuzz/http-edge.test.ts',
    module: 'src/pool/http/multipart.ts',
    summary:
      'A multipart upload whose body ended before its closing boundary was answered 400, yet the file part read before the break stayed in /mnt/data. A refused upload now removes every file it stored before the client gets the answer.',
  },
];
