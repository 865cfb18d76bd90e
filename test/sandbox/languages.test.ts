import { describe, expect, it } from 'vitest';
import { InvalidInputError, UnsupportedLanguageError } from '../../src/errors.js';
import { requireLanguage, resolveLanguage, unsupportedLanguage, validateLanguage } from '../../src/sandbox/languages.js';

describe('language names', () => {
  it.each([
    ['python', 'python'],
    ['PY', 'python'],
    ['javascript', 'javascript'],
    [' js ', 'javascript'],
    ['shell', 'shell'],
    ['sh', 'shell'],
    ['bash', 'shell'],
  ])('resolves %j to %s', (name, language) => {
    expect(resolveLanguage(name)).toBe(language);
  });

  it('refuses an unknown name, listing the valid ones', () => {
    expect(() => resolveLanguage('cobol')).toThrow(InvalidInputError);
    expect(() => resolveLanguage('cobol')).toThrow(/Unknown language "cobol"\. Valid languages: python, py, javascript, js, shell, sh, bash\./);
  });

  it('defaults an execution to python and takes only the canonical names as the option', () => {
    expect(validateLanguage(undefined)).toBe('python');
    expect(validateLanguage('shell')).toBe('shell');
    expect(() => validateLanguage('js')).toThrow(/language must be one of python, javascript, shell, got "js"/);
    expect(() => validateLanguage(3)).toThrow(InvalidInputError);
  });
});

describe('UnsupportedLanguageError', () => {
  it('says what the backend runs instead and where the language runs', () => {
    const error = unsupportedLanguage('shell', 'Sandbox-Daytona', ['python']);
    expect(error).toBeInstanceOf(UnsupportedLanguageError);
    expect(error).toMatchObject({ code: 'unsupported_language', language: 'shell', offered: ['python'] });
    expect(error.message).toBe(
      'Sandbox-Daytona does not run shell commands; it runs Python. Shell commands run on Local, Sandbox-Pool, Sandbox-E2B, ' +
        'and Sandbox-ACA pointed at a Shell pool (`tidepool pool serve --container-type shell`).',
    );
    expect(unsupportedLanguage('javascript', 'Local', ['python', 'shell']).message).toMatch(/^Local does not run JavaScript; it runs Python and shell commands\. JavaScript runs on /);
    expect(unsupportedLanguage('python', 'A custom pool', []).message).toMatch(/it runs no language Tidepool knows\./);
  });

  it('is what requireLanguage throws for a language not offered; an offered one passes', () => {
    expect(requireLanguage(undefined, 'Local', ['python', 'shell'])).toBe('python');
    expect(requireLanguage('shell', 'Local', ['python', 'shell'])).toBe('shell');
    expect(() => requireLanguage('javascript', 'Local', ['python', 'shell'])).toThrow(UnsupportedLanguageError);
  });
});
