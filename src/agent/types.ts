/** What the travel agents produce: display messages (stored and rendered) and the live events of a turn. */
import type { LifecycleEvent } from '../sandbox/lifecycle.js';
import type { SandboxType } from '../sandbox/types.js';

/** An image a tool produced, stored outside the message so messages stay small. */
export interface ImageRef {
  url: string;
  fileName: string;
  mediaType: string;
}

/**
 * One step of a tool call's timeline, timed from the start of the call (not of the session):
 * the session getting ready (new, or reused), the cell executing, and the call finishing.
 */
export interface TimelineStep {
  phase: 'creating' | 'ready' | 'executing' | 'finished' | 'failed' | 'closed';
  /** Milliseconds since the call started. */
  atMs: number;
  /** How long this step took: ready → getting a session, executing → running the cell, finished/failed → the whole call so far. */
  durationMs?: number;
  /** For `ready`: an existing session was used rather than a new one created. */
  reused?: boolean;
  message?: string;
}

/** One tool call as the UI shows it: arguments, backend, lifecycle timeline, output. */
export interface ToolCallView {
  callId: string;
  toolName: string;
  input: unknown;
  /** Absent for a tool the agent does not have: nothing ran in any sandbox. */
  sandboxType?: SandboxType;
  status: 'running' | 'success' | 'error';
  /** The backend's raw events (session-relative times), kept for programs that read them. */
  lifecycle: LifecycleEvent[];
  /** The same events timed per call; what the UI shows. Absent in messages stored before it existed. */
  timeline?: TimelineStep[];
  /** Set when the backend turned out to have replaced the session: earlier variables and files are gone. */
  sessionReset?: string;
  /** The tool's text output (or the error message). */
  text?: string;
  images: ImageRef[];
  /** Wall-clock time of the whole call as the agent saw it. */
  durationMs?: number;
}

export type MessagePart =
  | { type: 'text'; text: string }
  | { type: 'tool'; call: ToolCallView }
  /** How the turn ended when it did not end well: the model failed, or the turn was stopped. */
  | { type: 'notice'; level: 'error' | 'stopped'; text: string };

export interface DisplayMessage {
  id: number;
  role: 'user' | 'assistant';
  parts: MessagePart[];
  createdAt: string;
}

/** Events of a running turn, in order; the web layer forwards them as server-sent events. */
export type AgentEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-start'; callId: string; toolName: string; input: unknown; sandboxType?: SandboxType }
  | { type: 'tool-lifecycle'; callId: string; event: LifecycleEvent; step?: TimelineStep }
  | { type: 'session-reset'; callId: string; message: string }
  | { type: 'tool-end'; call: ToolCallView }
  | { type: 'error'; message: string }
  /** The turn was stopped (by the person, a gone client, or the model timeout); what was said so far is kept. */
  | { type: 'stopped'; reason: string };
