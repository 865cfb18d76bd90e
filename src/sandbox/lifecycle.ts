/**
 * Lifecycle events with millisecond timings: creating → ready → executing → finished → closed.
 * Every backend reports through a `SessionLifecycle`, so timings mean the same thing everywhere.
 */
import type { SandboxType } from './types.js';

export type LifecyclePhase = 'creating' | 'ready' | 'executing' | 'finished' | 'failed' | 'closed';

export interface LifecycleEvent {
  phase: LifecyclePhase;
  sandboxType: SandboxType;
  identifier: string;
  label?: string;
  /** Milliseconds since this session started creating (a running total, as the first lines printed it). */
  elapsedMs: number;
  /** For `ready`, `finished` and `failed`: how long that step itself took. */
  stepMs?: number;
  /** For `failed`: what went wrong (left out when the caller reports it otherwise). */
  message?: string;
  /** True when `ready` found an existing session rather than creating one. */
  reused?: boolean;
}

export type LifecycleListener = (event: LifecycleEvent) => void;

export type Clock = () => number;

const monotonicClock: Clock = () => performance.now();

/** Tracks one session's timings and fans events out to a listener. */
export class SessionLifecycle {
  readonly #startedAt: number;
  #stepStartedAt: number;

  constructor(
    private readonly sandboxType: SandboxType,
    private readonly identifier: string,
    private readonly listener: LifecycleListener | undefined,
    private readonly label?: string,
    private readonly clock: Clock = monotonicClock,
  ) {
    this.#startedAt = clock();
    this.#stepStartedAt = this.#startedAt;
  }

  creating(): void {
    this.#emit('creating');
  }

  ready(reused = false): void {
    this.#emit('ready', { stepMs: this.#stepMs(), reused });
  }

  executing(): void {
    this.#stepStartedAt = this.clock();
    this.#emit('executing');
  }

  finished(): void {
    this.#emit('finished', { stepMs: this.#stepMs() });
  }

  failed(message: string): void {
    this.#emit('failed', { stepMs: this.#stepMs(), message });
  }

  closed(): void {
    this.#emit('closed');
  }

  #stepMs(): number {
    return Math.round(this.clock() - this.#stepStartedAt);
  }

  #emit(phase: LifecyclePhase, extra: Partial<LifecycleEvent> = {}): void {
    if (!this.listener) return;
    const event: LifecycleEvent = {
      phase,
      sandboxType: this.sandboxType,
      identifier: this.identifier,
      elapsedMs: Math.round(this.clock() - this.#startedAt),
      ...extra,
    };
    if (this.label !== undefined) event.label = this.label;
    try {
      this.listener(event);
    } catch {
      // A broken listener must never break a user's execution.
    }
  }
}

const DISPLAY: Record<SandboxType, { name: string; icon: string }> = {
  Local: { name: 'Local Sandbox', icon: '💻' },
  'Sandbox-Pool': { name: 'Pool Sandbox', icon: '🌊' },
  'Sandbox-ACA': { name: 'ACA Sandbox', icon: '☁️' },
  'Sandbox-E2B': { name: 'E2B Sandbox', icon: '🔒' },
  'Sandbox-Daytona': { name: 'Daytona Sandbox', icon: '🔒' },
};

/** The readable line printed for each step, e.g. `✓ ACA Sandbox created (1234ms)`. */
export function formatLifecycleLine(event: LifecycleEvent): string {
  const { name, icon } = DISPLAY[event.sandboxType];
  const target = event.label ? ` for ${event.label}` : ` (session ${shortId(event.identifier)})`;
  switch (event.phase) {
    case 'creating':
      return `${icon} ${name} creating${target}`;
    case 'ready':
      return `✓ ${name} ${event.reused ? 'reused' : 'created'} (${event.stepMs}ms)`;
    case 'executing':
      return `▶️ ${name} code execution starting${target} (${event.elapsedMs}ms)`;
    case 'finished':
      return `✅ ${name} execution finished${target} (${event.elapsedMs}ms, execution ${event.stepMs}ms)`;
    case 'failed':
      return `❌ ${name} failed${target}${event.message ? `: ${event.message}` : ''} (${event.elapsedMs}ms)`;
    case 'closed':
      return `🔒 ${name} closed${target} (total: ${event.elapsedMs}ms)`;
  }
}

function shortId(identifier: string): string {
  return identifier.length > 12 ? `${identifier.slice(0, 8)}…` : identifier;
}
