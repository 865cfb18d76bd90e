/**
 * The attribute names Tidepool records (this module loads no OpenTelemetry code). Attributes describe a call
 * (backend, hashed session identifier, durations, status) and never carry code, file contents or
 * secrets: identifiers are hashed because a session identifier is a capability on a remote pool.
 */
import { createHash } from 'node:crypto';

export const INSTRUMENTATION_NAME = 'tidepool';
export const INSTRUMENTATION_VERSION = '0.1.0';

export const ATTR = {
  backend: 'tidepool.backend',
  sessionHash: 'tidepool.session.hash',
  durationMs: 'tidepool.duration_ms',
  status: 'tidepool.status',
  timeoutMs: 'tidepool.timeout_ms',
  language: 'tidepool.language',
  reused: 'tidepool.session.reused',
  fileBytes: 'tidepool.file.size_bytes',
  fileCount: 'tidepool.file.count',
  poolOperation: 'tidepool.pool.operation',
  toolName: 'gen_ai.tool.name',
  genAiOperation: 'gen_ai.operation.name',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  httpRoute: 'http.route',
} as const;

/**
 * A stable, non-reversible label for a session identifier: the same session gets the same label in
 * every span, without the identifier itself (which lets anyone holding a pool key into the session).
 */
export function hashIdentifier(identifier: string): string {
  return createHash('sha256').update(identifier).digest('hex').slice(0, 16);
}

export function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000) / 1000;
}
