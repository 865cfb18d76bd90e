import { describe, expect, it } from 'vitest';
import { parseTraceback, splitTraceback } from '../../src/sandbox/backends/aca/traceback.js';

describe('parseTraceback', () => {
  it('reads a CPython traceback, ignoring what the cell printed before it', () => {
    const stderr = 'warning: something\nTraceback (most recent call last):\n  File "<cell>", line 2, in <module>\nZeroDivisionError: division by zero\n';
    expect(parseTraceback(stderr)).toEqual({
      type: 'ZeroDivisionError',
      message: 'division by zero',
      traceback: 'Traceback (most recent call last):\n  File "<cell>", line 2, in <module>\nZeroDivisionError: division by zero\n',
    });
  });

  it("reads IPython's coloured traceback as Azure sends it", () => {
    const stderr =
      '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m\n' +
      '\u001b[0;31mNameError\u001b[0m                                 Traceback (most recent call last)\n' +
      'Cell \u001b[0;32mIn[1], line 1\u001b[0m\n----> 1 \u001b[43mx\u001b[49m\n\n' +
      "\u001b[0;31mNameError\u001b[0m: name 'x' is not defined";
    const error = parseTraceback(stderr)!;
    expect(error.type).toBe('NameError');
    expect(error.message).toBe("name 'x' is not defined");
    expect(error.traceback.startsWith('-----')).toBe(true);
    expect(error.traceback).not.toContain('\u001b');
  });

  it('handles dotted names, bare exceptions, multi-line messages and header-less syntax errors', () => {
    expect(parseTraceback('Traceback (most recent call last):\n  File "x", line 1\njson.decoder.JSONDecodeError: Expecting value: line 1')).toMatchObject({
      type: 'JSONDecodeError',
      message: 'Expecting value: line 1',
    });
    expect(parseTraceback('Traceback (most recent call last):\n  File "x", line 1\nKeyboardInterrupt\n')).toMatchObject({ type: 'KeyboardInterrupt', message: '' });
    expect(parseTraceback('Traceback (most recent call last):\n  File "x", line 1\nAssertionError: first\nsecond line')).toMatchObject({
      type: 'AssertionError',
      message: 'first\nsecond line',
    });
    const syntax = parseTraceback('  File "<cell>", line 1\n    1 +\n       ^\nSyntaxError: invalid syntax\n')!;
    expect(syntax).toMatchObject({ type: 'SyntaxError', message: 'invalid syntax' });
    expect(syntax.traceback).toContain('line 1');
  });

  it('returns undefined when there is no exception in stderr', () => {
    expect(parseTraceback('')).toBeUndefined();
    expect(parseTraceback('just a log line\nDone')).toBeUndefined();
  });
});

describe('splitTraceback', () => {
  it('separates what the code wrote from the traceback the service appended', () => {
    const written = 'progress 1\n\u001b[33mwarning\u001b[0m\n';
    const traceback = 'Traceback (most recent call last):\n  File "<cell>", line 2, in <module>\nValueError: bad\n';
    expect(splitTraceback(written + traceback)).toEqual({ written, error: { type: 'ValueError', message: 'bad', traceback } });
    expect(splitTraceback(traceback)?.written).toBe('');
  });

  it('keeps an earlier, handled traceback the code printed itself', () => {
    const handled = 'Traceback (most recent call last):\n  File "<cell>", line 2\nKeyError: 1\nrecovered\n';
    const final = 'Traceback (most recent call last):\n  File "<cell>", line 5\nRuntimeError: gave up\n';
    const split = splitTraceback(handled + final)!;
    expect(split.written).toBe(handled);
    expect(split.error).toMatchObject({ type: 'RuntimeError', message: 'gave up', traceback: final });
  });
});
