/**
 * The languages of the contract: their names and aliases, the check every backend runs on
 * `ExecuteOptions.language`, and the error that says where a language does run.
 */
import { InvalidInputError, UnsupportedLanguageError } from '../errors.js';
import type { Language } from './types.js';

export const LANGUAGES: readonly Language[] = ['python', 'javascript', 'shell'];

/** What people type for each language (the CLI's `--language`), case-insensitively. */
const ALIASES: Record<string, Language> = {
  python: 'python',
  py: 'python',
  javascript: 'javascript',
  js: 'javascript',
  shell: 'shell',
  sh: 'shell',
  bash: 'shell',
};

/** A language name or alias as a Language; InvalidInputError naming the valid values otherwise. */
export function resolveLanguage(name: string): Language {
  const language = ALIASES[name.trim().toLowerCase()];
  if (language) return language;
  throw new InvalidInputError(`Unknown language "${name}". Valid languages: ${Object.keys(ALIASES).join(', ')}.`);
}

/** `ExecuteOptions.language` checked: `python` when omitted, InvalidInputError for anything but a canonical name. */
export function validateLanguage(language: unknown): Language {
  if (language === undefined) return 'python';
  if (typeof language === 'string' && (LANGUAGES as readonly string[]).includes(language)) return language as Language;
  throw new InvalidInputError(`language must be one of ${LANGUAGES.join(', ')}, got ${JSON.stringify(language)}.`);
}

/** How messages name each language. */
export const LANGUAGE_NAMES: Record<Language, string> = { python: 'Python', javascript: 'JavaScript', shell: 'shell commands' };

/** Where each language runs, for the message of an UnsupportedLanguageError. */
const WHERE_IT_RUNS: Record<Language, string> = {
  python: 'every sandbox (an ACA endpoint must be a PythonLTS pool)',
  javascript: 'Local, Sandbox-Pool, Sandbox-E2B, and Sandbox-ACA pointed at a NodeLTS pool (`tidepool pool serve --container-type node`)',
  shell: 'Local, Sandbox-Pool, Sandbox-E2B, and Sandbox-ACA pointed at a Shell pool (`tidepool pool serve --container-type shell`)',
};

/**
 * The error for a language `what` (a backend, or "the pool at …") does not run: what it runs
 * instead, and which sandboxes run the language.
 */
export function unsupportedLanguage(language: Language, what: string, offered: readonly Language[]): UnsupportedLanguageError {
  return new UnsupportedLanguageError(
    language,
    offered,
    `${what} does not run ${LANGUAGE_NAMES[language]}; it runs ${listed(offered.map((name) => LANGUAGE_NAMES[name])) || 'no language Tidepool knows'}. ` +
      `${capitalise(LANGUAGE_NAMES[language])} run${language === 'shell' ? '' : 's'} on ${WHERE_IT_RUNS[language]}.`,
  );
}

/** The checked language of an execution, refused unless `offered` includes it. */
export function requireLanguage(language: unknown, what: string, offered: readonly Language[]): Language {
  const checked = validateLanguage(language);
  if (!offered.includes(checked)) throw unsupportedLanguage(checked, what, offered);
  return checked;
}

function listed(names: readonly string[]): string {
  return names.length < 2 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
