/**
 * When the Local agent is offered. Local runs code on this machine as the user running Tidepool,
 * with no isolation, so anything that can ask the web server to run code through it owns the host.
 * Two ways that could happen are closed here:
 * - served on a non-loopback address, anyone on the network could reach the server;
 * - sessions of another backend with network egress (the embedded pool has it on, for the weather
 *   tools) run code that can open connections, possibly to this server; code the model wrote or a
 *   web page planted would then be one request away from the host.
 * The access token already stops both; Local stays off anyway, so one leaked token or one missed
 * route does not turn a sandboxed session into code on the host. The second rule can be waived.
 */
import type { TravelAgentsOptions } from '../agent/travel-agents.js';
import { isLoopback } from '../config/network.js';
import { onOffSetting, type Env } from '../config/settings.js';
import type { SandboxType } from '../sandbox/types.js';

export const ALLOW_LOCAL_ENV = 'TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL';
export const ALLOW_LOCAL_FLAG = '--allow-unsandboxed-local';

/** The option, else TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL (on/off, true/false, 1/0, yes/no), else false. */
export function resolveAllowLocal(option: boolean | undefined, env: Env): boolean {
  return onOffSetting({ option: 'allowUnsandboxedLocal', env: ALLOW_LOCAL_ENV, flag: ALLOW_LOCAL_FLAG }, option, env, false);
}

/** A cloud backend counts once its setting is present: unconfigured, it is not offered at all. */
const CLOUD_SETTINGS: Partial<Record<SandboxType, { envName: string; option: (options: NonNullable<TravelAgentsOptions['sandboxOptions']>) => unknown }>> = {
  'Sandbox-ACA': { envName: 'ACA_POOL_MANAGEMENT_ENDPOINT', option: (options) => options.aca?.poolManagementEndpoint },
  'Sandbox-E2B': { envName: 'E2B_API_KEY', option: (options) => options.e2b?.apiKey },
  'Sandbox-Daytona': { envName: 'DAYTONA_API_KEY', option: (options) => options.daytona?.apiKey },
};

/**
 * Offered backends whose sessions may open network connections: the embedded pool unless its egress
 * is turned off, and every configured cloud backend (an ACA endpoint may be a `tidepool pool serve`
 * with egress on, on this very machine).
 */
export function backendsWithEgress(env: Env, agents: TravelAgentsOptions = {}): SandboxType[] {
  const sandboxOptions = agents.sandboxOptions ?? {};
  const offered = (type: SandboxType) => !agents.disabled?.[type];
  const found: SandboxType[] = [];
  if (offered('Sandbox-Pool') && sandboxOptions.pool?.pool?.egress !== false) found.push('Sandbox-Pool');
  for (const [type, setting] of Object.entries(CLOUD_SETTINGS) as [SandboxType, NonNullable<(typeof CLOUD_SETTINGS)[SandboxType]>][]) {
    if (offered(type) && (env[setting.envName]?.trim() || setting.option(sandboxOptions))) found.push(type);
  }
  return found;
}

export interface LocalPolicy {
  host: string;
  allowUnsandboxedLocal: boolean;
  egressBackends: SandboxType[];
}

/** Why Local is off under this policy, or undefined when it may be offered. */
export function localRestriction({ host, allowUnsandboxedLocal, egressBackends }: LocalPolicy): string | undefined {
  if (!isLoopback(host)) {
    return `Local runs code on this machine without isolation, so it is off while serving on ${host}; serve on 127.0.0.1 to use it.`;
  }
  if (allowUnsandboxedLocal || egressBackends.length === 0) return undefined;
  const which = egressBackends.join(', ');
  return (
    `Local runs code on this machine without isolation, and code in ${which} sessions (which have network egress) could reach this server ` +
    `and ask Local to run code on the host. Start tidepool serve with ${ALLOW_LOCAL_FLAG} (or ${ALLOW_LOCAL_ENV}=1) to offer it anyway, ` +
    'only if you trust all code those sessions run.'
  );
}
