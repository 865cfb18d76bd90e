/** The UI's files from web-static/, by a fixed list: nothing else on disk is reachable. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import { PACKAGE_ROOT } from '../paths.js';
import type { WebEnv } from './deps.js';

export const WEB_STATIC_DIR = path.join(PACKAGE_ROOT, 'web-static');

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';

/** Explains how to get in; also the body of a 401 a browser gets when it opens a page without the token. */
export const LOGIN_PAGE = { file: 'login.html', type: HTML };

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: HTML },
  '/tools': { file: 'tools.html', type: HTML },
  '/login': LOGIN_PAGE,
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
  '/static/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/static/common.js': { file: 'common.js', type: JS },
  '/static/chat.js': { file: 'chat.js', type: JS },
  '/static/tool-card.js': { file: 'tool-card.js', type: JS },
  '/static/tools.js': { file: 'tools.js', type: JS },
};

/** The only paths served without the access token: the login page and what it shows. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/login', '/favicon.svg', '/static/app.css']);

export function readStaticFile(file: string): Promise<Buffer> {
  return readFile(path.join(WEB_STATIC_DIR, file));
}

export function staticRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  for (const [route, { file, type }] of Object.entries(FILES)) {
    app.get(route, async (c) => {
      const body = await readStaticFile(file);
      return c.body(new Uint8Array(body), 200, { 'content-type': type, 'cache-control': 'no-cache' });
    });
  }
  return app;
}
