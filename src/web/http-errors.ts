/** One place that turns any failure into an HTTP status and a JSON body `{ error: { code, message } }`. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isSandboxError, type SandboxErrorCode } from '../errors.js';

const SANDBOX_STATUS: Record<SandboxErrorCode, ContentfulStatusCode> = {
  configuration: 503,
  invalid_input: 400,
  unsupported_language: 400,
  authentication: 502,
  not_found: 404,
  session_allocation: 503,
  session_lost: 500,
  capacity: 429,
  timeout: 504,
  transport: 502,
  too_large: 413,
  unavailable: 503,
  internal: 500,
};

/** A failure the route knows the status of; the message is shown to the person as is. */
export function httpError(status: ContentfulStatusCode, message: string, code = 'bad_request'): HTTPException {
  return new HTTPException(status, { message, cause: { code } });
}

export function errorStatus(error: unknown): { status: ContentfulStatusCode; code: string; message: string } {
  if (error instanceof HTTPException) {
    const code = (error.cause as { code?: string } | undefined)?.code ?? 'error';
    return { status: error.status as ContentfulStatusCode, code, message: error.message };
  }
  if (isSandboxError(error)) return { status: SANDBOX_STATUS[error.code], code: error.code, message: error.message };
  return { status: 500, code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

export function renderError(error: unknown, c: Context): Response {
  const { status, code, message } = errorStatus(error);
  return c.json({ error: { code, message } }, status);
}
