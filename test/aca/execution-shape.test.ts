/**
 * The hand-written checks of execution answers accept and refuse exactly what the zod schemas
 * they replaced did (rebuilt here as the reference), and name what is wrong.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { gen1ExecutionShape, gen2ExecutionShape } from '../../src/sandbox/backends/aca/execution-shape.js';
import { parseBody } from '../../src/sandbox/backends/aca/wire.js';
import { TransportError } from '../../src/errors.js';

const gen1Properties = z.looseObject({
  status: z.string().optional(),
  stdout: z.string().nullish(),
  stderr: z.string().nullish(),
  result: z.unknown().optional(),
  executionResult: z.unknown().optional(),
  images: z.unknown().optional(),
  executionTimeInMilliseconds: z.number().optional(),
});
const gen1Reference = z.looseObject({ properties: gen1Properties.optional() }).and(gen1Properties);
const gen2Reference = z.looseObject({
  id: z.string().optional(),
  status: z.string(),
  result: z
    .looseObject({
      stdout: z.string().nullish(),
      stderr: z.string().nullish(),
      executionResult: z.unknown().optional(),
      images: z.unknown().optional(),
      executionTimeInMilliseconds: z.number().optional(),
    })
    .nullish(),
  error: z.unknown().optional(),
});

/** Answers a hostile or broken service might send, and well-formed ones. */
const ANSWERS: unknown[] = [
  null,
  'Succeeded',
  42,
  [],
  [{ status: 'Succeeded' }],
  {},
  { status: 'Succeeded' },
  { status: 7 },
  { status: null },
  { id: 'x', status: 'Succeeded', result: null },
  { id: 3, status: 'Succeeded' },
  { status: 'Succeeded', result: 'text' },
  { status: 'Succeeded', result: [] },
  { status: 'Succeeded', result: { stdout: 'a', stderr: null, executionResult: { any: 1 }, images: 'junk', executionTimeInMilliseconds: 5, extra: true } },
  { status: 'Succeeded', result: { stdout: 5 } },
  { status: 'Succeeded', result: { stderr: ['x'] } },
  { status: 'Succeeded', result: { executionTimeInMilliseconds: null } },
  { status: 'Succeeded', result: { executionTimeInMilliseconds: '5' } },
  { status: 'Failed', error: { message: 'no' }, extra: [1] },
  { properties: { status: 'Success', stdout: '', stderr: '', result: 1, executionTimeInMilliseconds: 5 } },
  { properties: null },
  { properties: [] },
  { properties: 'x' },
  { properties: { status: 1 } },
  { properties: { stdout: null, stderr: null } },
  { properties: { executionTimeInMilliseconds: null } },
  { properties: {}, status: 5 },
  { stdout: 'flat', result: 2 },
];

describe('execution answers', () => {
  it.each(ANSWERS.map((answer) => [JSON.stringify(answer), answer]))('gen-1 and gen-2 judge %s as zod did', (_name, answer) => {
    expect(gen1ExecutionShape.safeParse(answer).success).toBe(gen1Reference.safeParse(answer).success);
    expect(gen2ExecutionShape.safeParse(answer).success).toBe(gen2Reference.safeParse(answer).success);
  });

  it('hands back the answer with its unknown fields', () => {
    const answer = { status: 'Succeeded', result: { stdout: 'a', extra: 1 }, more: [2] };
    expect(gen2ExecutionShape.safeParse(answer)).toEqual({ success: true, data: answer });
  });

  it('names each wrong field with its path in the error', () => {
    const response = { status: 200, url: 'http://pool/executions', headers: { get: () => null }, bytes: new TextEncoder().encode('{"status":"Succeeded","result":{"stdout":5,"executionTimeInMilliseconds":"x"}}') };
    const error = (() => {
      try {
        parseBody(response, gen2ExecutionShape, 'execute code');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe(
      'Could not execute code: the response from http://pool/executions has an unexpected shape ' +
        '(result.stdout: expected string, received number; result.executionTimeInMilliseconds: expected number, received string). Check ACA_API_VERSION matches what the pool serves.',
    );
    expect(gen1ExecutionShape.safeParse({ properties: [] })).toEqual({ success: false, error: { issues: [{ path: ['properties'], message: 'expected object, received array' }] } });
    expect(gen2ExecutionShape.safeParse(null)).toEqual({ success: false, error: { issues: [{ path: [], message: 'expected object, received null' }] } });
  });
});
