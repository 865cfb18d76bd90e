/** The session panel: files in the conversation's /mnt/data, with downloads. */
import { Hono } from 'hono';
import type { WebDeps, WebEnv } from '../deps.js';
import { httpError } from '../http-errors.js';
import { ownConversation } from './conversations.js';

const MEDIA_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  svg: 'image/svg+xml',
  csv: 'text/csv; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  json: 'application/json',
};

export function fileRoutes(deps: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get('/api/conversations/:id/files', async (c) => {
    const { id, agentId } = ownConversation(deps, c.get('ownerId'), c.req.param('id'));
    const sandbox = deps.agents.get(agentId).sandbox;
    // Nothing to list before the first turn: opening a session just to find it empty costs a kernel.
    if (!sandbox || deps.store.messages(id).length === 0) return c.json({ files: [] });
    const files = await sandbox.session(id).list();
    return c.json({ files: files.map((file) => ({ name: file.name, sizeBytes: file.sizeBytes, lastModified: file.lastModified.toISOString() })) });
  });

  app.get('/api/conversations/:id/files/:name{.+}', async (c) => {
    const { id, agentId } = ownConversation(deps, c.get('ownerId'), c.req.param('id'));
    const sandbox = deps.agents.get(agentId).sandbox;
    if (!sandbox) throw httpError(404, 'This conversation\'s sandbox is unavailable.', 'not_found');
    const name = c.req.param('name');
    const data = await sandbox.session(id).download(name);
    const extension = name.split('.').pop()?.toLowerCase() ?? '';
    const base = name.split('/').pop() ?? 'file';
    return c.body(new Uint8Array(data), 200, {
      'content-type': MEDIA_TYPES[extension] ?? 'application/octet-stream',
      'content-disposition': `attachment; filename="${base.replace(/[^\w.-]/g, '_')}"`,
    });
  });

  return app;
}
