/** The model timeout from an option or TIDEPOOL_MODEL_TIMEOUT_MS, validated like every other setting. */
import type { Env } from '../config/settings.js';
import { ConfigurationError } from '../sandbox/errors.js';
import { DEFAULT_MODEL_TIMEOUT_MS } from './run-turn.js';

export const MODEL_TIMEOUT_ENV = 'TIDEPOOL_MODEL_TIMEOUT_MS';
const MIN_MS = 1_000;
const MAX_MS = 3_600_000;

export function resolveModelTimeoutMs(option: number | undefined, env: Env = process.env): number {
  const raw = option ?? env[MODEL_TIMEOUT_ENV]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_MODEL_TIMEOUT_MS;
  const ms = typeof raw === 'number' ? raw : /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(ms) || ms < MIN_MS || ms > MAX_MS) {
    const name = option !== undefined ? 'modelTimeoutMs' : MODEL_TIMEOUT_ENV;
    throw new ConfigurationError(`${name} must be a whole number of milliseconds from ${MIN_MS} to ${MAX_MS} (default ${DEFAULT_MODEL_TIMEOUT_MS}), got "${String(raw)}".`);
  }
  return ms;
}
