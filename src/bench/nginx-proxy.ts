/**
 * Runs Debian's nginx as a foreground child with its own prefix in a temporary directory, serving
 * the documented deploy/nginx/tidepool-pool.conf with its example nodes replaced by the given ones
 * (the nginx-hop benchmark and the scale-out test). Needs a checkout: deploy/ is not in the package.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const NGINX_BINARY = '/usr/sbin/nginx';
// src/bench or dist/bench: the repository root is two levels up either way.
export const DOCUMENTED_CONFIG = path.resolve(HERE, '../../deploy/nginx/tidepool-pool.conf');

export interface NginxProxy {
  url: string;
  /** Rewrites the node list and reloads nginx (SIGHUP), as an operator adding or removing a node does. */
  reconfigure(nodes: string[]): Promise<void>;
  close(): Promise<void>;
}

/** The documented configuration with `nodes` ("127.0.0.1:port") as its upstream servers and `listen` as its address. */
export async function configureProxy(nodes: string[], listen: string): Promise<string> {
  const documented = await readFile(DOCUMENTED_CONFIG, 'utf8');
  const exampleServers = /^(\s*)server \S+ max_fails=0;\n/gm;
  const examples = documented.match(exampleServers) ?? [];
  if (examples.length === 0) throw new Error(`${DOCUMENTED_CONFIG} lists no "server ... max_fails=0;" upstream lines any more; update src/bench/nginx-proxy.ts with it.`);
  let first = true;
  const withNodes = documented.replace(exampleServers, (_line, indent: string) => {
    if (!first) return '';
    first = false;
    return nodes.map((node) => `${indent}server ${node} max_fails=0;\n`).join('');
  });
  if (!/^\s*listen 8080;$/m.test(withNodes)) throw new Error(`${DOCUMENTED_CONFIG} no longer listens on 8080; update src/bench/nginx-proxy.ts with it.`);
  return withNodes.replace(/^(\s*)listen 8080;$/m, `$1listen ${listen};`);
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startNginx(nodes: string[]): Promise<NginxProxy> {
  if (!existsSync(NGINX_BINARY)) throw new Error(`${NGINX_BINARY} is missing: install Debian's nginx package (apt-get install nginx), as .ci/run does.`);
  if (!existsSync(DOCUMENTED_CONFIG)) throw new Error(`${DOCUMENTED_CONFIG} is missing: run this from a checkout of the repository, which has deploy/.`);
  const prefix = await mkdtemp(path.join(os.tmpdir(), 'tidepool-nginx-'));
  for (const dir of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(path.join(prefix, dir));
  const port = await freePort();
  await writeFile(path.join(prefix, 'tidepool-pool.conf'), await configureProxy(nodes, `127.0.0.1:${port}`));
  // Root workers: the temporary directories belong to root, and no system user is assumed to exist.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  await writeFile(
    path.join(prefix, 'nginx.conf'),
    `${user}daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  include ${prefix}/tidepool-pool.conf;
}
`,
  );
  const child: ChildProcess = spawn(NGINX_BINARY, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      const log = await readFile(path.join(prefix, 'error.log'), 'utf8').catch(() => '');
      throw new Error(`nginx exited with ${child.exitCode}: ${stderr}${log}`);
    }
    // Any answer means nginx listens; whether the nodes behind it answer is the caller's business.
    const answered = await fetch(`${url}/healthz`).then(
      () => true,
      () => false,
    );
    if (answered) break;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${url} within 30 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    reconfigure: async (next) => {
      await writeFile(path.join(prefix, 'tidepool-pool.conf'), await configureProxy(next, `127.0.0.1:${port}`));
      child.kill('SIGHUP');
    },
    close: async () => {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
      await rm(prefix, { recursive: true, force: true });
    },
  };
}
