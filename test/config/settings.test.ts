/** The one settings resolver: option → variable → default, blank = unset, errors naming every way to set it. */
import { describe, expect, it } from 'vitest';
import {
  choiceSetting,
  describeSetting,
  httpUrlSetting,
  integerSetting,
  listSetting,
  onOffSetting,
  positiveNumberSetting,
  textSetting,
  type SettingName,
} from '../../src/config/settings.js';
import { ConfigurationError } from '../../src/errors.js';

const PORT: SettingName = { option: 'port', env: 'X_PORT', flag: '--port' };

function failure(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('settings resolver', () => {
  it('names a setting every way it can be set', () => {
    expect(describeSetting(PORT)).toBe('X_PORT / --port / option port');
    expect(describeSetting({ env: 'ONLY_ENV' })).toBe('ONLY_ENV');
  });

  it('takes the option, else the variable, else the default; blank counts as unset', () => {
    const bounds = { fallback: 8080, min: 0, max: 65535 };
    expect(integerSetting(PORT, 9000, { X_PORT: '1' }, bounds)).toBe(9000);
    expect(integerSetting(PORT, undefined, { X_PORT: ' 1 ' }, bounds)).toBe(1);
    expect(integerSetting(PORT, undefined, { X_PORT: '   ' }, bounds)).toBe(8080);
    expect(integerSetting(PORT, undefined, {}, bounds)).toBe(8080);
    expect(textSetting(PORT, '  ', { X_PORT: 'from-env' })).toBe('from-env');
    expect(textSetting(PORT, undefined, { X_PORT: '' })).toBeUndefined();
  });

  it.each([
    ['abc', /^X_PORT \/ --port \/ option port: must be a whole number from 0 to 65535, got "abc"\.$/],
    ['80.5', /got "80\.5"/],
    ['1e3', /got "1e3"/],
    ['70000', /got "70000"/],
    ['-1', /got "-1"/],
  ])('refuses the integer %j, saying the range', (raw, message) => {
    expect(failure(() => integerSetting(PORT, undefined, { X_PORT: raw }, { fallback: 1, min: 0, max: 65535 })).message).toMatch(message);
  });

  it('words the range by its bounds', () => {
    expect(failure(() => integerSetting(PORT, 0, {}, { fallback: 1 })).message).toContain('a positive whole number');
    expect(failure(() => integerSetting(PORT, -1, {}, { fallback: 1, min: 0 })).message).toContain('a whole number of 0 or more');
  });

  it('reads on/off in the usual spellings and refuses anything else', () => {
    expect(onOffSetting(PORT, undefined, { X_PORT: 'Yes' }, false)).toBe(true);
    expect(onOffSetting(PORT, undefined, { X_PORT: 'off' }, true)).toBe(false);
    expect(onOffSetting(PORT, false, { X_PORT: 'on' }, true)).toBe(false);
    expect(onOffSetting(PORT, undefined, {}, true)).toBe(true);
    expect(failure(() => onOffSetting(PORT, undefined, { X_PORT: 'maybe' }, true)).message).toMatch(/must be on or off.*got "maybe"/);
  });

  it('reads choices case-insensitively and lists the valid ones', () => {
    expect(choiceSetting(PORT, undefined, { X_PORT: 'JWT' }, ['key', 'jwt'])).toBe('jwt');
    expect(choiceSetting(PORT, undefined, {}, ['key', 'jwt'])).toBeUndefined();
    expect(failure(() => choiceSetting(PORT, 'other', {}, ['key', 'jwt'])).message).toMatch(/must be one of key, jwt, got "other"/);
  });

  it('reads lists, dropping blank entries', () => {
    expect(listSetting(PORT, undefined, { X_PORT: 'a, ,b,' })).toEqual(['a', 'b']);
    expect(listSetting(PORT, undefined, { X_PORT: ' , ' })).toBeUndefined();
    expect(listSetting(PORT, ['c'], { X_PORT: 'a' })).toEqual(['c']);
  });

  it('reads positive numbers and http(s) URLs', () => {
    expect(positiveNumberSetting(PORT, undefined, { X_PORT: '0.5' }, 1)).toBe(0.5);
    expect(failure(() => positiveNumberSetting(PORT, undefined, { X_PORT: '0' }, 1)).message).toMatch(/must be a positive number, got "0"/);
    expect(httpUrlSetting(PORT, undefined, { X_PORT: 'http://127.0.0.1:1/x' }, 'https://example.com')?.port).toBe('1');
    expect(failure(() => httpUrlSetting(PORT, 'ftp://x', {}, 'https://example.com')).message).toMatch(/must be an http\(s\) URL such as https:\/\/example\.com, got "ftp:\/\/x"/);
  });
});
