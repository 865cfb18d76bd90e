/** The UI's files from web-static/, by a fixed list: nothing else on disk is reachable. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import { PACKAGE_ROOT } from '../paths.js';
import type { WebEnv } from './deps.js';

export const WEB_STATIC_DIR = path.join(PACKAGE_ROOT, 'web-static');

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/tools': { file: 'tools.html', type: 'text/html; charset=utf-8' },
  '/static/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/static/common.js': { file: 'common.js', type: 'text/javascript; charset=utf-8' },
  '/static/chat.js': { file: 'chat.js', type: 'text/javascript; charset=utf-8' },
  '/static/tool-card.js': { file: 'tool-card.js', type: 'text/javascript; charset=utf-8' },
  '/static/tools.js': { file: 'tools.js', type: 'text/javascript; charset=utf-8' },
};

export function staticRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  for (const [route, { file, type }] of Object.entries(FILES)) {
    app.get(route, async (c) => {
      const body = await readFile(path.join(WEB_STATIC_DIR, file));
      return c.body(new Uint8Array(body), 200, { 'content-type': type, 'cache-control': 'no-cache' });
    });
  }
  return app;
}
