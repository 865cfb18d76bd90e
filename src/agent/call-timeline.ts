/**
 * Turns a session's lifecycle events (timed from when the session started, which may be long
 * ago) into one tool call's timeline (timed from when the call started), so each step shows its
 * own duration: getting a session (new or reused), executing the cell, finishing.
 */
import type { LifecycleEvent } from '../sandbox/lifecycle.js';
import type { TimelineStep } from './types.js';

export class CallTimeline {
  readonly steps: TimelineStep[] = [];
  readonly #startedAt: number;
  #executing: TimelineStep | undefined;

  constructor(private readonly clock: () => number = () => performance.now()) {
    this.#startedAt = clock();
  }

  /** The steps this event adds, in order (a reused session has no `ready` event of its own, so one is added). */
  add(event: LifecycleEvent): TimelineStep[] {
    const atMs = Math.round(this.clock() - this.#startedAt);
    const added: TimelineStep[] = [];
    const push = (step: TimelineStep) => {
      this.steps.push(step);
      added.push(step);
    };
    switch (event.phase) {
      case 'creating':
        push({ phase: 'creating', atMs });
        break;
      case 'ready':
        push({ phase: 'ready', atMs, durationMs: event.stepMs ?? atMs, reused: event.reused === true });
        break;
      case 'executing':
        if (!this.steps.some((step) => step.phase === 'ready')) push({ phase: 'ready', atMs, durationMs: atMs, reused: true });
        this.#executing = { phase: 'executing', atMs };
        push(this.#executing);
        break;
      case 'finished':
      case 'failed': {
        if (this.#executing) this.#executing.durationMs = event.stepMs ?? atMs - this.#executing.atMs;
        this.#executing = undefined;
        const step: TimelineStep = { phase: event.phase, atMs, durationMs: atMs };
        if (event.message) step.message = event.message;
        push(step);
        break;
      }
      case 'closed':
        push({ phase: 'closed', atMs });
        break;
    }
    return added;
  }
}
