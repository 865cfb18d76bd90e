/**
 * One way to resolve a setting: the explicit option, else the environment variable, else a default
 * (or an error that names both, so the user knows the two ways to fix it).
 */
import { ConfigurationError } from '../errors.js';

export type Env = Record<string, string | undefined>;

export function stringSetting(option: string | undefined, envName: string, env: Env = process.env): string | undefined {
  const value = option ?? env[envName];
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export function requiredSetting(option: string | undefined, envName: string, optionName: string, env: Env = process.env, hint = ''): string {
  const value = stringSetting(option, envName, env);
  if (value === undefined) throw new ConfigurationError(`Set ${envName} or pass ${optionName}.${hint ? ` ${hint}` : ''}`);
  return value;
}

/** A positive number from an option or the environment, with the setting named in the error. */
export function numberSetting(option: number | undefined, envName: string, fallback: number, env: Env = process.env): number {
  if (option !== undefined) return positive(option, envName);
  const raw = env[envName]?.trim();
  if (!raw) return fallback;
  return positive(Number(raw), envName, raw);
}

function positive(value: number, name: string, raw: string | number = value): number {
  if (!Number.isFinite(value) || value <= 0) throw new ConfigurationError(`${name} must be a positive number, got "${raw}".`);
  return value;
}
