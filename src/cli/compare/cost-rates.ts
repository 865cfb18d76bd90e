/**
 * Estimated price of one sandbox-second per backend, for `tidepool compare`. Estimates only:
 * check the provider's price list. Set TIDEPOOL_COST_<BACKEND>_PER_SECOND (USD) to override.
 *
 * - Sandbox-ACA: ~$0.000018 per session-second (Azure's list price for dynamic sessions when this was written).
 * - Sandbox-E2B / Sandbox-Daytona: no default (plans differ by CPU and memory); set the variable.
 * - Local and Sandbox-Pool: $0 (your own machine).
 */
import type { Env } from '../../config/settings.js';
import { ConfigurationError } from '../../errors.js';
import { sandboxAlias } from '../../sandbox/names.js';
import type { SandboxType } from '../../sandbox/types.js';

export const DEFAULT_COST_PER_SECOND_USD: Record<SandboxType, number | undefined> = {
  Local: 0,
  'Sandbox-Pool': 0,
  'Sandbox-ACA': 0.000018,
  'Sandbox-E2B': undefined,
  'Sandbox-Daytona': undefined,
};

/** `TIDEPOOL_COST_ACA_PER_SECOND`, `TIDEPOOL_COST_E2B_PER_SECOND`, … */
export function costEnvName(type: SandboxType): string {
  return `TIDEPOOL_COST_${sandboxAlias(type).toUpperCase()}_PER_SECOND`;
}

/** USD per sandbox-second, or undefined when unknown. */
export function costPerSecondUsd(type: SandboxType, env: Env = process.env): number | undefined {
  const name = costEnvName(type);
  const raw = env[name]?.trim();
  if (!raw) return DEFAULT_COST_PER_SECOND_USD[type];
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new ConfigurationError(`${name} must be a non-negative number of USD per second, got "${raw}".`);
  return value;
}
