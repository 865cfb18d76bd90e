/**
 * One travel agent per sandbox backend. Every backend is listed; one that is not configured is
 * marked unavailable with the reason its factory gave (or a cheap check of its settings), so a
 * person sees what to set instead of wondering where it went.
 */
import type { Env } from '../config/settings.js';
import { isSandboxError, NotFoundError } from '../errors.js';
import { createSandbox as defaultCreateSandbox, type CreateSandboxOptions } from '../sandbox/factory.js';
import { SANDBOX_TYPES, sandboxAlias } from '../sandbox/names.js';
import type { Sandbox, SandboxType } from '../sandbox/types.js';
import { LifecycleRouter } from '../sandbox/lifecycle-router.js';

export interface AgentInfo {
  /** e.g. `travel-pool`; also the `model` of the OpenAI-compatible endpoint. */
  id: string;
  name: string;
  sandboxType: SandboxType;
  available: boolean;
  /** Why the backend cannot be used, and how to fix it. */
  reason?: string;
}

export interface TravelAgent extends AgentInfo {
  /** Present when available. Its onLifecycle is `lifecycle.dispatch`. */
  sandbox?: Sandbox;
  lifecycle: LifecycleRouter;
}

export interface TravelAgentsOptions {
  env?: Env;
  /** Extra options for every backend (tests pass e.g. a data root). */
  sandboxOptions?: CreateSandboxOptions;
  /** Injected by tests; default the real factory. */
  createSandbox?: (name: string, options: CreateSandboxOptions) => Sandbox;
  /** Backends to offer as unavailable regardless of their settings, with the reason to show. */
  disabled?: Partial<Record<SandboxType, string>>;
}

/** Settings a backend cannot work without, checked when its factory did not already object. */
const REQUIRED_SETTINGS: Partial<Record<SandboxType, { envName: string; what: string }>> = {
  'Sandbox-ACA': { envName: 'ACA_POOL_MANAGEMENT_ENDPOINT', what: 'your Azure Container Apps session pool\'s management endpoint' },
  'Sandbox-E2B': { envName: 'E2B_API_KEY', what: 'your E2B API key' },
  'Sandbox-Daytona': { envName: 'DAYTONA_API_KEY', what: 'your Daytona API key' },
};

const DISPLAY_NAMES: Record<SandboxType, string> = {
  Local: 'Local (no isolation)',
  'Sandbox-Pool': 'Tidepool pool (embedded)',
  'Sandbox-ACA': 'Azure Container Apps',
  'Sandbox-E2B': 'E2B',
  'Sandbox-Daytona': 'Daytona',
};

export function agentId(type: SandboxType): string {
  return `travel-${sandboxAlias(type)}`;
}

export class TravelAgents {
  readonly #agents: TravelAgent[];

  constructor(options: TravelAgentsOptions = {}) {
    const env = options.env ?? process.env;
    const create = options.createSandbox ?? defaultCreateSandbox;
    this.#agents = SANDBOX_TYPES.map((type) => {
      const reason = options.disabled?.[type];
      if (reason) return { id: agentId(type), name: `Travel agent · ${DISPLAY_NAMES[type]}`, sandboxType: type, lifecycle: new LifecycleRouter(), available: false, reason };
      return buildAgent(type, env, create, options.sandboxOptions ?? {});
    });
  }

  list(): AgentInfo[] {
    return this.#agents.map(({ id, name, sandboxType, available, reason }) => ({ id, name, sandboxType, available, ...(reason ? { reason } : {}) }));
  }

  /** The agent with this id (or sandbox alias / type name), available or not. */
  get(id: string): TravelAgent {
    const wanted = id.trim().toLowerCase();
    const agent = this.#agents.find((a) => a.id === wanted || sandboxAlias(a.sandboxType) === wanted || a.sandboxType.toLowerCase() === wanted);
    if (!agent) throw new NotFoundError(`No agent "${id}". Agents: ${this.#agents.map((a) => a.id).join(', ')}.`);
    return agent;
  }

  /** The pool agent when it works (the embedded default), else Local. */
  defaultAgentId(): string {
    return (this.#agents.find((a) => a.sandboxType === 'Sandbox-Pool' && a.available) ?? this.#agents[0]!).id;
  }

  /** Closes every backend (and the embedded pool, if it was started). */
  async close(): Promise<void> {
    await Promise.allSettled(this.#agents.map((agent) => agent.sandbox?.close()));
  }
}

function buildAgent(type: SandboxType, env: Env, create: NonNullable<TravelAgentsOptions['createSandbox']>, extra: CreateSandboxOptions): TravelAgent {
  const lifecycle = new LifecycleRouter();
  const base = { id: agentId(type), name: `Travel agent · ${DISPLAY_NAMES[type]}`, sandboxType: type, lifecycle };
  let sandbox: Sandbox;
  try {
    sandbox = create(type, { ...extra, onLifecycle: lifecycle.dispatch });
  } catch (error) {
    const reason = isSandboxError(error) || error instanceof Error ? error.message : String(error);
    return { ...base, available: false, reason };
  }
  const required = REQUIRED_SETTINGS[type];
  if (required && !env[required.envName]?.trim()) {
    void sandbox.close();
    return { ...base, available: false, reason: `Set ${required.envName} to ${required.what}, then restart tidepool serve.` };
  }
  return { ...base, available: true, sandbox };
}
