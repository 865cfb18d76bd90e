import { InvalidInputError } from '../errors.js';
import type { SandboxType } from './types.js';

export const SANDBOX_TYPES: readonly SandboxType[] = ['Local', 'Sandbox-Pool', 'Sandbox-ACA', 'Sandbox-E2B', 'Sandbox-Daytona'];

const ALIASES: Record<string, SandboxType> = {
  local: 'Local',
  pool: 'Sandbox-Pool',
  aca: 'Sandbox-ACA',
  e2b: 'Sandbox-E2B',
  daytona: 'Sandbox-Daytona',
};

/** Accepts a canonical name or a short alias, case-insensitively. */
export function resolveSandboxType(name: string): SandboxType {
  const wanted = name.trim().toLowerCase();
  const canonical = SANDBOX_TYPES.find((type) => type.toLowerCase() === wanted) ?? ALIASES[wanted];
  if (canonical) return canonical;
  const valid = [...SANDBOX_TYPES, ...Object.keys(ALIASES)].join(', ');
  throw new InvalidInputError(`Unknown sandbox "${name}". Valid sandboxes: ${valid}.`);
}

/** The short alias of a canonical type, as used on the command line. */
export function sandboxAlias(type: SandboxType): string {
  return Object.entries(ALIASES).find(([, value]) => value === type)?.[0] ?? type;
}
