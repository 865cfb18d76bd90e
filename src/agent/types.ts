/** What the travel agents produce: display messages (stored and rendered) and the live events of a turn. */
import type { LifecycleEvent } from '../sandbox/lifecycle.js';
import type { SandboxType } from '../sandbox/types.js';

/** An image a tool produced, stored outside the message so messages stay small. */
export interface ImageRef {
  url: string;
  fileName: string;
  mediaType: string;
}

/** One tool call as the UI shows it: arguments, backend, lifecycle timeline, output. */
export interface ToolCallView {
  callId: string;
  toolName: string;
  input: unknown;
  sandboxType: SandboxType;
  status: 'running' | 'success' | 'error';
  lifecycle: LifecycleEvent[];
  /** The tool's text output (or the error message). */
  text?: string;
  images: ImageRef[];
  /** Wall-clock time of the whole call as the agent saw it. */
  durationMs?: number;
}

export type MessagePart = { type: 'text'; text: string } | { type: 'tool'; call: ToolCallView };

export interface DisplayMessage {
  id: number;
  role: 'user' | 'assistant';
  parts: MessagePart[];
  createdAt: string;
}

/** Events of a running turn, in order; the web layer forwards them as server-sent events. */
export type AgentEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-start'; callId: string; toolName: string; input: unknown; sandboxType: SandboxType }
  | { type: 'tool-lifecycle'; callId: string; event: LifecycleEvent }
  | { type: 'tool-end'; call: ToolCallView }
  | { type: 'error'; message: string };
