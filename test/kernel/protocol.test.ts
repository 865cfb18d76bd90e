/** The readers that check each kernel answer: every field of the wrong shape is named, and only known fields pass. */
import { describe, expect, it } from 'vitest';
import { ProtocolShapeError, readExecuteResponse, readPong, readShellResponse } from '../../src/kernel/protocol.js';

const png = { type: 'image', format: 'png', base64_data: 'iVBORw0KGgo=' };

function cell(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 3, status: 'success', stdout: 'out', stderr: '', hasResult: true, result: 2, repr: '2', images: [png], error: null, durationMs: 1.5, ...overrides };
}

function shape(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolShapeError);
    return (error as Error).message;
  }
  throw new Error('the reader accepted the frame');
}

describe('readExecuteResponse', () => {
  it('returns the known fields of a well-formed answer, and nothing the kernel added', () => {
    const frame = cell({ timedOut: true, stateLost: true, extra: 'x', error: { type: 'E', message: 'm', traceback: 't', timeoutMs: 5 } });
    expect(readExecuteResponse(frame)).toStrictEqual({
      status: 'success',
      stdout: 'out',
      stderr: '',
      hasResult: true,
      result: 2,
      repr: '2',
      images: [png],
      error: { type: 'E', message: 'm', traceback: 't' },
      durationMs: 1.5,
    });
  });

  it('copies images instead of passing the kernel objects through', () => {
    const image = { ...png, note: 'hostile' };
    const read = readExecuteResponse(cell({ images: [image], result: image }));
    expect(read.images[0]).toStrictEqual(png);
    expect(read.result).toStrictEqual(png);
  });

  it('accepts every result type the protocol allows', () => {
    for (const result of ['text', 0, false, null, png]) expect(readExecuteResponse(cell({ result })).result).toStrictEqual(result);
  });

  it.each([
    [{ status: 'done' }, /^status: expected "success" or "failure", got string$/],
    [{ stdout: 42 }, /^stdout: expected a string, got number$/],
    [{ stderr: undefined }, /^stderr: expected a string, got undefined$/],
    [{ hasResult: 'yes' }, /^hasResult: expected a boolean/],
    [{ result: [1] }, /^result: expected a string, number, boolean, null or image, got an array$/],
    [{ result: { type: 'text' } }, /^result\.type: expected "image"/],
    [{ repr: 5 }, /^repr: expected a string/],
    [{ images: 'nope' }, /^images: expected an array, got string$/],
    [{ images: [png, null] }, /^images\.1: expected an image object, got null$/],
    [{ images: [{ ...png, format: 'gif' }] }, /^images\.0\.format: expected png, jpeg or svg/],
    [{ images: [{ ...png, base64_data: 1 }] }, /^images\.0\.base64_data: expected a string/],
    [{ error: 'boom' }, /^error: expected an error object or null, got string$/],
    [{ error: { type: 'E', message: 'm' } }, /^error\.traceback: expected a string, got undefined$/],
    [{ durationMs: '1' }, /^durationMs: expected a number/],
  ])('names the field that does not fit: %j', (overrides, message) => {
    expect(shape(() => readExecuteResponse(cell(overrides)))).toMatch(message);
  });
});

describe('readShellResponse', () => {
  const answer = (overrides: Record<string, unknown> = {}) => ({ id: 1, exitCode: 0, stdout: 'hi\n', stderr: '', error: null, durationMs: 2, ...overrides });

  it('returns the known fields only', () => {
    expect(readShellResponse(answer({ timedOut: true }))).toStrictEqual({ exitCode: 0, stdout: 'hi\n', stderr: '', error: null, durationMs: 2 });
  });

  it.each([-1, 256, 1.5, '0', null])('refuses exit code %j', (exitCode) => {
    expect(shape(() => readShellResponse(answer({ exitCode })))).toMatch(/^exitCode: expected an integer from 0 to 255/);
  });

  it('refuses an answer without its output', () => {
    expect(shape(() => readShellResponse(answer({ stdout: null })))).toMatch(/^stdout: expected a string, got null$/);
  });
});

describe('readPong', () => {
  it('accepts only pong: true', () => {
    expect(readPong({ id: 1, pong: true, pid: 7 })).toBe(true);
    expect(shape(() => readPong({ id: 1, pong: 'true' }))).toMatch(/^pong: expected true, got string$/);
  });
});
