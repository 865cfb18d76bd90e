/**
 * Request paths as ACA clients really send them: with or without the
 * /subscriptions/{s}/resourceGroups/{g}/sessionPools/{p} prefix, doubled slashes, one trailing
 * slash, percent-encoded or raw file names that may span several segments.
 */
import { MOUNT_POINT, normaliseDataPath } from '../../kernel/data-paths.js';
import { validationError } from './errors.js';

const POOL_PREFIX = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/sessionpools\/([^/]+)(?=\/|$)/i;

/** The raw (still percent-encoded) path of a request URL. */
export function rawPathOf(url: string): string {
  const scheme = url.indexOf('://');
  const start = url.indexOf('/', scheme === -1 ? 0 : scheme + 3);
  if (start === -1) return '/';
  let end = url.length;
  for (const stop of ['?', '#']) {
    const index = url.indexOf(stop, start);
    if (index !== -1 && index < end) end = index;
  }
  return url.slice(start, end);
}

/** Collapses `//`, removes the pool prefix and one trailing slash: `/sub…/pool//code/execute/` → `/code/execute`. */
export function normalisePoolPath(rawPath: string): { path: string; poolName: string | undefined; prefix: string } {
  let path = rawPath.replace(/\/{2,}/g, '/');
  if (!path.startsWith('/')) path = `/${path}`;
  const match = POOL_PREFIX.exec(path);
  const prefix = match ? match[0] : '';
  if (match) path = path.slice(prefix.length) || '/';
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return { path, poolName: match ? safeDecode(match[1]!) : undefined, prefix };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Percent-decodes each segment and joins them with `/`; a bad escape is the client's error. */
export function decodeSegments(segments: string[]): string {
  return segments
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw validationError(`The path segment "${segment}" has an invalid percent-encoding; encode file names with encodeURIComponent.`, 'name');
      }
    })
    .join('/');
}

/** A file name from the URL or a multipart part, normalised relative to /mnt/data (400 on traversal). */
export function fileNameParam(name: string): string {
  return normaliseDataPath(name);
}

/**
 * The gen-2 `path` query parameter: a directory relative to /mnt/data. `/`, `/mnt/data`, `.` and ``
 * all mean the data directory itself (returned as ``).
 */
export function directoryParam(raw: string | undefined): string {
  if (raw === undefined) return '';
  const trimmed = raw.trim().replace(/\\/g, '/');
  if (trimmed === '' || trimmed === '/' || trimmed === '.' || trimmed === './' || trimmed === MOUNT_POINT || trimmed === `${MOUNT_POINT}/`) return '';
  // A leading slash is relative to the session's root, as the Azure CLI and examples use it.
  const relative = trimmed.startsWith('/') && !trimmed.startsWith(`${MOUNT_POINT}/`) ? trimmed.slice(1) : trimmed;
  return normaliseDataPath(relative);
}

/** `name` inside `directory`; an absolute `/mnt/data/...` name already says where it goes. */
export function joinDataPath(directory: string, name: string): string {
  const absolute = name.replace(/\\/g, '/').startsWith(`${MOUNT_POINT}/`);
  return directory && !absolute ? normaliseDataPath(`${directory}/${name}`) : normaliseDataPath(name);
}
