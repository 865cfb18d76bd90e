/**
 * The UI's files from web-static/, by a fixed list: nothing else on disk is reachable. The two
 * browser libraries (marked for Markdown, DOMPurify to sanitise its HTML) are served from the
 * installed packages, so the UI needs no CDN and no network beyond this server.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { PACKAGE_ROOT } from '../paths.js';
import type { WebEnv } from './deps.js';

export const WEB_STATIC_DIR = path.join(PACKAGE_ROOT, 'web-static');

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const SVG = 'image/svg+xml';

/** Explains how to get in; also the body of a 401 a browser gets when it opens a page without the token. */
export const LOGIN_PAGE = { file: 'login.html', type: HTML };

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: HTML },
  '/tools': { file: 'tools.html', type: HTML },
  '/login': LOGIN_PAGE,
  '/favicon.svg': { file: 'favicon.svg', type: SVG },
  // Browsers ask for /favicon.ico on their own; an SVG under that name is what they get.
  '/favicon.ico': { file: 'favicon.svg', type: SVG },
  '/static/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/static/common.js': { file: 'common.js', type: JS },
  '/static/icons.js': { file: 'icons.js', type: JS },
  '/static/markdown.js': { file: 'markdown.js', type: JS },
  '/static/chat.js': { file: 'chat.js', type: JS },
  '/static/tool-card.js': { file: 'tool-card.js', type: JS },
  '/static/tools.js': { file: 'tools.js', type: JS },
};

/** ES module builds of the browser libraries, resolved where npm installed them. */
const VENDOR: Record<string, string> = {
  '/static/vendor/marked.js': 'marked',
  '/static/vendor/purify.js': 'dompurify',
};

/** The only paths served without the access token: the login page and what it shows. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/login', '/favicon.svg', '/favicon.ico', '/static/app.css']);

export function readStaticFile(file: string): Promise<Buffer> {
  return readFile(path.join(WEB_STATIC_DIR, file));
}

/** The source map comment points at a file that is not served; without it browsers ask and get a 404. */
async function readVendorModule(specifier: string): Promise<string> {
  const source = await readFile(fileURLToPath(import.meta.resolve(specifier)), 'utf8');
  return source.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

export function staticRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  for (const [route, { file, type }] of Object.entries(FILES)) {
    app.get(route, async (c) => {
      const body = await readStaticFile(file);
      return c.body(new Uint8Array(body), 200, { 'content-type': type, 'cache-control': 'no-cache' });
    });
  }
  for (const [route, specifier] of Object.entries(VENDOR)) {
    let source: Promise<string> | undefined;
    app.get(route, async (c) => {
      source ??= readVendorModule(specifier);
      return c.body(await source, 200, { 'content-type': JS, 'cache-control': 'no-cache' });
    });
  }
  return app;
}
