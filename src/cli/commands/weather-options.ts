/** Settings the weather commands share: the environment every backend reads, and a fixed "today". */
import { InvalidInputError } from '../../errors.js';

type Env = Record<string, string | undefined>;

/** Each backend reads its settings from the command's environment (tests inject one). */
export function sandboxEnvOptions(env: Env) {
  return { aca: { env }, pool: { env }, e2b: { env }, daytona: { env } };
}

/** TIDEPOOL_TODAY=YYYY-MM-DD pins the date travel dates are relative to (reproducible runs and demos). */
export function todayFromEnv(env: Env): string | undefined {
  const value = env.TIDEPOOL_TODAY?.trim();
  if (!value) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InvalidInputError(`TIDEPOOL_TODAY must be a YYYY-MM-DD date, got "${value}".`);
  return value;
}
