/**
 * The one settings resolver of every layer (pool, web, backends, weather, agent). A setting comes
 * from the explicit option (a CLI flag or a library option), else its environment variable, else
 * its default. The CLI loads `.env` into the environment at start without overriding what is
 * already set, so the full order is option → environment → `.env` → default. An empty or blank
 * variable counts as unset. A bad value is a ConfigurationError that names every way to set it
 * (`TIDEPOOL_POOL_PORT / --port / option port: must be …`), so the user can fix it wherever it came from.
 */
import { ConfigurationError } from '../errors.js';

export type Env = Record<string, string | undefined>;

/** How a user can set one setting: its library option, its variable and its CLI flag. */
export interface SettingName {
  option?: string;
  env?: string;
  flag?: string;
}

/** `TIDEPOOL_POOL_PORT / --port / option port`. */
export function describeSetting(name: SettingName): string {
  return [name.env, name.flag, name.option && `option ${name.option}`].filter(Boolean).join(' / ');
}

/** A bad value (or a bad combination) of this setting, named every way it can be set. */
export function invalidSetting(name: SettingName, message: string): ConfigurationError {
  return new ConfigurationError(`${describeSetting(name)}: ${message}`);
}

/**
 * The setting's raw value: the option when it is given (a blank string counts as not given), else
 * the variable, trimmed (blank counts as unset), else undefined.
 */
export function rawSetting<T>(name: SettingName, option: T | undefined, env: Env): T | string | undefined {
  if (typeof option === 'string' ? option.trim() !== '' : option !== undefined) return typeof option === 'string' ? (option.trim() as T) : option;
  const value = name.env ? env[name.env]?.trim() : undefined;
  return value ? value : undefined;
}

export function textSetting(name: SettingName, option: string | undefined, env: Env): string | undefined {
  const raw = rawSetting(name, option, env);
  return raw === undefined ? undefined : String(raw);
}

/** Comma-separated in the variable; empty entries dropped; undefined when nothing is left. */
export function listSetting(name: SettingName, option: readonly string[] | undefined, env: Env): string[] | undefined {
  const raw = option ?? (name.env ? env[name.env]?.split(',') : undefined);
  const values = raw?.map((value) => value.trim()).filter(Boolean);
  return values && values.length > 0 ? values : undefined;
}

export interface IntegerBounds {
  fallback: number;
  /** Smallest allowed value; default 1. */
  min?: number;
  max?: number;
  /** Appended to the error, e.g. "(0 picks a free port)". */
  note?: string;
}

/** A whole number within bounds; the error says the range. */
export function integerSetting(name: SettingName, option: number | string | undefined, env: Env, bounds: IntegerBounds): number {
  const raw = rawSetting(name, option, env);
  if (raw === undefined) return bounds.fallback;
  const min = bounds.min ?? 1;
  const value = typeof raw === 'number' ? raw : /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || (bounds.max !== undefined && value > bounds.max)) {
    const range = bounds.max !== undefined ? `a whole number from ${min} to ${bounds.max}` : min === 0 ? 'a whole number of 0 or more' : min === 1 ? 'a positive whole number' : `a whole number of ${min} or more`;
    throw invalidSetting(name, `must be ${range}${bounds.note ? ` ${bounds.note}` : ''}, got "${String(raw)}".`);
  }
  return value;
}

/** A number greater than zero (fractions allowed). */
export function positiveNumberSetting(name: SettingName, option: number | string | undefined, env: Env, fallback: number): number {
  const raw = rawSetting(name, option, env);
  if (raw === undefined) return fallback;
  const value = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw invalidSetting(name, `must be a positive number, got "${String(raw)}".`);
  return value;
}

const ON = ['on', 'true', '1', 'yes'];
const OFF = ['off', 'false', '0', 'no'];

/** on/off, true/false, 1/0 or yes/no. */
export function onOffSetting(name: SettingName, option: boolean | string | undefined, env: Env, fallback: boolean): boolean {
  const raw = rawSetting(name, option, env);
  if (raw === undefined) return fallback;
  if (typeof raw === 'boolean') return raw;
  const value = raw.toLowerCase();
  if (ON.includes(value)) return true;
  if (OFF.includes(value)) return false;
  throw invalidSetting(name, `must be on or off (true/false, 1/0, yes/no), got "${raw}".`);
}

/** One of a fixed set of words (case-insensitive); undefined when unset. */
export function choiceSetting<T extends string>(name: SettingName, option: T | string | undefined, env: Env, values: readonly T[]): T | undefined {
  const raw = rawSetting(name, option, env);
  if (raw === undefined) return undefined;
  const value = raw.toLowerCase() as T;
  if (!values.includes(value)) throw invalidSetting(name, `must be one of ${values.join(', ')}, got "${raw}".`);
  return value;
}

/** An http(s) URL; the error shows an example. */
export function httpUrlSetting(name: SettingName, option: string | undefined, env: Env, example: string): URL | undefined {
  const raw = textSetting(name, option, env);
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw invalidSetting(name, `must be an http(s) URL such as ${example}, got "${raw}".`);
  return url;
}

// Shorthands for settings that have a variable and a library option but no CLI flag of their own.

export function stringSetting(option: string | undefined, envName: string, env: Env = process.env): string | undefined {
  return textSetting({ env: envName }, option, env);
}

/** A string that must be set; the error names the variable, the option and what the value is. */
export function requiredSetting(option: string | undefined, envName: string, optionName: string, env: Env = process.env, hint = ''): string {
  const value = textSetting({ option: optionName, env: envName }, option, env);
  if (value === undefined) throw new ConfigurationError(`Set ${envName} or pass ${optionName}.${hint ? ` ${hint}` : ''}`);
  return value;
}

/** A positive number from an option or the environment, with the setting named in the error. */
export function numberSetting(option: number | undefined, envName: string, fallback: number, env: Env = process.env): number {
  return positiveNumberSetting({ env: envName }, option, env, fallback);
}
