/** Whether a tool's answer is a success, the same everywhere it is shown (live, from history, /v1, the Tools page). */
import type { AiSdkToolOutput } from '../tools/ai-sdk.js';

/** A tool that answered but could not do its job (a research failure, a cell that raised) failed. */
export function toolFailed(output: AiSdkToolOutput): boolean {
  const data = output.data as { error?: unknown; status?: unknown } | undefined;
  return (data?.error !== undefined && data.error !== null) || data?.status === 'failure';
}
