/** The model timeout from an option or TIDEPOOL_MODEL_TIMEOUT_MS, through the one settings resolver. */
import { integerSetting, type Env } from '../config/settings.js';
import { DEFAULT_MODEL_TIMEOUT_MS } from './run-turn.js';

export const MODEL_TIMEOUT_ENV = 'TIDEPOOL_MODEL_TIMEOUT_MS';

export function resolveModelTimeoutMs(option: number | undefined, env: Env = process.env): number {
  return integerSetting({ option: 'modelTimeoutMs', env: MODEL_TIMEOUT_ENV }, option, env, {
    fallback: DEFAULT_MODEL_TIMEOUT_MS,
    min: 1_000,
    max: 3_600_000,
    note: `(milliseconds; default ${DEFAULT_MODEL_TIMEOUT_MS})`,
  });
}
