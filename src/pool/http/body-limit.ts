/**
 * Request bodies are bounded on every route. Executions read at most their JSON limit and uploads
 * their multipart limits (both enforced where the body is read); every other operation takes no
 * body, so one declared over a few KiB is refused with 413 before anything else, and a body sent
 * without a length closes the connection after the answer instead of being drained.
 */
import type { MiddlewareHandler } from 'hono';
import type { PoolEnv } from './context.js';
import { PoolApiError } from './errors.js';

/** The most a request may declare on an operation that takes no body (clients send `{}` or nothing). */
export const MAX_BODYLESS_REQUEST_BYTES = 64 * 1024;

/** Routes that read their body themselves, each with its own limit. */
const BODY_ROUTES = new Set(['POST /code/execute', 'POST /executions', 'POST /files/upload', 'POST /files', 'POST /python/execute', 'POST /python/uploadFile']);

export function bodyLimit(): MiddlewareHandler<PoolEnv> {
  return async (c, next) => {
    if (BODY_ROUTES.has(`${c.req.method} ${c.req.path}`)) return next();
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > MAX_BODYLESS_REQUEST_BYTES) {
      throw new PoolApiError(413, 'PayloadTooLarge', `${c.req.method} ${c.req.path} takes no request body, and this one declares ${declared} bytes (at most ${MAX_BODYLESS_REQUEST_BYTES} are accepted); send the request without a body.`, {
        target: 'body',
        headers: { Connection: 'close' },
      });
    }
    await next();
    if (c.req.header('transfer-encoding') !== undefined) c.res.headers.set('connection', 'close');
  };
}
