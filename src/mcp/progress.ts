/**
 * MCP progress notifications for one tool call, sent only when the client asked for them (a
 * progressToken in the request): the start, each lifecycle step of the sandbox session, then a heartbeat while
 * the cell runs, so a client can show that a long cell is alive and reset its request timeout.
 */
import type { LifecycleEvent } from '../sandbox/lifecycle.js';

export interface ProgressSink {
  progressToken?: string | number;
  send(notification: { method: 'notifications/progress'; params: { progressToken: string | number; progress: number; message: string } }): Promise<void>;
}

export interface ProgressReporter {
  lifecycle(event: LifecycleEvent): void;
  stop(): void;
}

const PHASE_MESSAGES: Partial<Record<LifecycleEvent['phase'], string>> = {
  creating: 'starting a sandbox session',
  ready: 'sandbox session ready',
  executing: 'running',
  finished: 'finished',
  failed: 'failed',
};

export function reportProgress(sink: ProgressSink, heartbeatMs: number): ProgressReporter {
  const token = sink.progressToken;
  if (token === undefined) return { lifecycle: () => undefined, stop: () => undefined };
  const startedAt = performance.now();
  let progress = 0;
  let stopped = false;
  const send = (message: string) => {
    if (stopped) return;
    progress += 1;
    // A client that went away cannot be told; the call itself ends through its abort signal.
    sink.send({ method: 'notifications/progress', params: { progressToken: token, progress, message } }).catch(() => undefined);
  };
  send('started');
  const timer = setInterval(() => send(`running for ${Math.round((performance.now() - startedAt) / 1000)} s`), heartbeatMs);
  timer.unref();
  return {
    lifecycle: (event) => {
      const message = PHASE_MESSAGES[event.phase];
      if (message) send(message);
    },
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
