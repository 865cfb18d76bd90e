/**
 * Files in a session's /mnt/data, both generations on the same paths:
 * gen-1 `POST files/upload`, `GET files`, `GET files/content/{name}`, `DELETE files/{name}`;
 * gen-2 `POST files`, `GET files`, `GET files/{name}`, `GET files/{name}/content`, `DELETE files/{name}`.
 * Where one path serves both (`GET files`, `DELETE files/{name}`), the api-version picks the shape.
 */
import { PassThrough, Readable } from 'node:stream';
import type { Hono } from 'hono';
import type { PoolFileInfo } from '../../types.js';
import { sendEmpty, sendJson, type PoolAppDeps, type PoolContext, type PoolEnv } from '../context.js';
import { validationError } from '../errors.js';
import { contentTypeFor, gen1FileList, sessionResourceFile } from '../file-format.js';
import { MAX_UPLOAD_BYTES, receiveUploads, uploadRequestLimit } from '../multipart.js';
import { decodeSegments, directoryParam, fileNameParam, joinDataPath } from '../paths.js';
import { queryParam, requireApiVersion, requireIdentifier, type ApiGeneration } from '../validation.js';

export function registerFileRoutes(app: Hono<PoolEnv>, deps: PoolAppDeps): void {
  const manager = deps.sessionManager;

  app.post('/files/upload', async (c) => {
    c.set('operation', 'files/upload');
    requireApiVersion(c.req.url);
    const identifier = session(c);
    const files = await receiveSessionUploads(c, deps, identifier, '');
    return sendJson(c, 200, gen1FileList(files));
  });

  app.post('/files', async (c) => {
    c.set('operation', 'files/upload');
    requireApiVersion(c.req.url);
    const identifier = session(c);
    const files = await receiveSessionUploads(c, deps, identifier, directoryParam(queryParam(c.req.url, 'path')));
    // The spec (and SK .NET) expect one SessionResourceFile; extra parts are stored but not described.
    return sendJson(c, 200, sessionResourceFile(files[0]!));
  });

  app.get('/files', async (c) => {
    c.set('operation', 'files/list');
    const { generation } = requireApiVersion(c.req.url);
    const identifier = session(c);
    if (generation === 1) {
      const files = await manager.listFiles(identifier, { recursive: true });
      return sendJson(c, 200, gen1FileList(files.filter((file) => file.type === 'file')));
    }
    const directory = directoryParam(queryParam(c.req.url, 'path'));
    const recursive = booleanParam(queryParam(c.req.url, 'recursive'), 'recursive');
    const files = await manager.listFiles(identifier, { directory: directory || undefined, recursive });
    return sendJson(c, 200, { value: files.map(sessionResourceFile), nextLink: null });
  });

  app.get('/files/*', async (c) => {
    const { generation } = requireApiVersion(c.req.url);
    const identifier = session(c);
    const target = fileTarget(c, generation);
    if (target.content) {
      c.set('operation', 'files/content');
      return sendFileContent(c, deps, identifier, target.name);
    }
    c.set('operation', 'files/get');
    const info = await manager.statFile(identifier, target.name);
    // Gen-1 has no metadata operation; the 2024-08 sample answers with a one-item list envelope.
    return sendJson(c, 200, generation === 1 ? gen1FileList([info]) : sessionResourceFile(info));
  });

  app.delete('/files/*', async (c) => {
    c.set('operation', 'files/delete');
    const { generation } = requireApiVersion(c.req.url);
    const identifier = session(c);
    const directory = generation === 2 ? directoryParam(queryParam(c.req.url, 'path')) : '';
    const name = joinDataPath(directory, decodeSegments(segmentsAfterFiles(c)));
    await manager.deleteFile(identifier, name);
    return generation === 1 ? sendJson(c, 200, { message: 'file deleted successfully' }) : sendEmpty(204);
  });
}

function session(c: PoolContext): string {
  const identifier = requireIdentifier(c.req.url);
  c.set('identifier', identifier);
  return identifier;
}

/** A file's bytes, streamed, with its type, length and modification time. */
export async function sendFileContent(c: PoolContext, deps: PoolAppDeps, identifier: string, name: string): Promise<Response> {
  const { info, stream } = await deps.sessionManager.readFile(identifier, name);
  return new Response(Readable.toWeb(guardDownload(stream, deps, c.get('traceId'))) as ReadableStream, {
    status: 200,
    headers: {
      'content-type': contentTypeFor(info.name),
      'content-length': String(info.sizeBytes),
      'last-modified': info.lastModified.toUTCString(),
    },
  });
}

/**
 * The file's bytes with any read failure replaced by a generic one: the headers are already sent, so
 * the client only sees the transfer break, and the runtime's own message goes to the log.
 */
function guardDownload(stream: Readable, deps: PoolAppDeps, traceId: string): Readable {
  const guarded = new PassThrough();
  stream.once('error', (error) => {
    deps.logger.error({ err: error, traceId }, 'file download failed');
    guarded.destroy(new Error(`The file could not be read to the end; the server log has the details under request id ${traceId}.`));
  });
  guarded.once('close', () => {
    if (!stream.readableEnded) stream.destroy();
  });
  return stream.pipe(guarded);
}

/** Stores every multipart part of the request in the session, under `directory` of /mnt/data. */
export async function receiveSessionUploads(c: PoolContext, deps: PoolAppDeps, identifier: string, directory: string): Promise<PoolFileInfo[]> {
  const manager = deps.sessionManager;
  const fileLimit = deps.maxUploadBytes ?? MAX_UPLOAD_BYTES;
  const { files, bytesIn } = await receiveUploads(
    c.req.raw,
    {
      resolveName: (filename) => joinDataPath(directory, filename),
      write: (name, data) => manager.writeFile(identifier, name, data),
      discard: (name) => manager.deleteFile(identifier, name),
    },
    fileLimit,
    uploadRequestLimit(fileLimit, deps.settings.diskMb),
  );
  c.set('bytesIn', bytesIn);
  return files;
}

/** The raw segments after `/files/`. */
function segmentsAfterFiles(c: PoolContext): string[] {
  return c.req.path.slice('/files/'.length).split('/');
}

/**
 * Which file a GET names and whether it wants the bytes. Gen-1 clients use `files/content/{name}`,
 * gen-2 clients `files/{name}/content`; names may span several segments (`sub/dir/a.txt`).
 */
function fileTarget(c: PoolContext, generation: ApiGeneration): { name: string; content: boolean } {
  const segments = segmentsAfterFiles(c);
  const directory = generation === 2 ? directoryParam(queryParam(c.req.url, 'path')) : '';
  if (generation === 1 && segments.length > 1 && segments[0] === 'content') {
    return { name: fileNameParam(decodeSegments(segments.slice(1))), content: true };
  }
  if (segments.length > 1 && segments[segments.length - 1] === 'content') {
    return { name: joinDataPath(directory, decodeSegments(segments.slice(0, -1))), content: true };
  }
  return { name: joinDataPath(directory, decodeSegments(segments)), content: false };
}

function booleanParam(raw: string | undefined, name: string): boolean {
  if (raw === undefined || raw === '') return false;
  const value = raw.toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw validationError(`The ${name} query parameter must be true or false, got "${raw}".`, name);
}
