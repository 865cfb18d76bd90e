/**
 * The one fan-out of lifecycle events. A sandbox takes one listener when it is created, but the
 * agent and the tools need each run's events separately. The router is that one listener; a run
 * subscribes to its session's identifier for as long as it lasts (calls in one session run one at
 * a time), and each event reaches each subscriber once.
 */
import type { LifecycleEvent, LifecycleListener } from './lifecycle.js';

export interface LifecycleSource {
  /** Calls `listener` for every event of the session `identifier` until the returned function is called. */
  subscribe(identifier: string, listener: LifecycleListener): () => void;
}

export class LifecycleRouter implements LifecycleSource {
  readonly #listeners = new Map<string, Set<LifecycleListener>>();

  /** Pass this as the sandbox's `onLifecycle`. */
  readonly dispatch: LifecycleListener = (event: LifecycleEvent) => {
    for (const listener of this.#listeners.get(event.identifier) ?? []) listener(event);
  };

  subscribe(identifier: string, listener: LifecycleListener): () => void {
    let set = this.#listeners.get(identifier);
    if (!set) this.#listeners.set(identifier, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(identifier);
    };
  }
}
