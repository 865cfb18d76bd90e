/** Refuses request bodies over MAX_BODY_BYTES before they are read, with an error that says the limit. */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { bodyTooLargeMessage, MAX_BODY_BYTES } from '../agent/input-limits.js';
import type { WebEnv } from './deps.js';

export function limitBody(render: 'api' | 'openai' = 'api'): MiddlewareHandler<WebEnv> {
  return bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) =>
      render === 'openai'
        ? c.json({ error: { message: bodyTooLargeMessage(), type: 'request_too_large', code: 'request_too_large' } }, 413)
        : c.json({ error: { code: 'request_too_large', message: bodyTooLargeMessage() } }, 413),
  });
}
