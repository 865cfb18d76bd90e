/** Parsers for option values shared by several commands; each error names the option and the fix. */
import { InvalidArgumentError } from 'commander';

export function positiveNumber(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got "${value}".`);
    return parsed;
  };
}

export function positiveInteger(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError(`${name} must be a positive whole number, got "${value}".`);
    return parsed;
  };
}
