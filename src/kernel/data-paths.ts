/**
 * File names inside a session's /mnt/data, as clients send them: bare (`a.txt`), relative
 * (`sub/a.txt`, `./a.txt`) or absolute under the mount point (`/mnt/data/a.txt`).
 * Everything is checked here once, so no caller can step outside the data directory.
 */
import path from 'node:path';

export const MOUNT_POINT = '/mnt/data';

export class DataPathError extends Error {}

/** Normalises a client-supplied name to a safe path relative to /mnt/data (no `..`, no empty segments). */
export function normaliseDataPath(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new DataPathError('File name is empty; pass a name such as "data.csv".');
  if (name.includes('\0')) throw new DataPathError('File name contains a NUL character.');
  let rest = name.replace(/\\/g, '/');
  if (rest === MOUNT_POINT || rest.startsWith(`${MOUNT_POINT}/`)) rest = rest.slice(MOUNT_POINT.length);
  else if (rest.startsWith('/')) throw new DataPathError(`File name "${name}" is outside /mnt/data; use a name relative to /mnt/data.`);
  const segments = rest.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..')) throw new DataPathError(`File name "${name}" contains "..", which is not allowed.`);
  if (segments.length === 0) throw new DataPathError(`File name "${name}" names the data directory itself; add a file name.`);
  if (segments.join('/').length > 1024) throw new DataPathError('File name is longer than 1024 characters.');
  return segments.join('/');
}

/** The absolute host path of a client-supplied name inside `dataDir`. */
export function resolveDataPath(dataDir: string, name: string): string {
  const relative = normaliseDataPath(name);
  const absolute = path.resolve(dataDir, relative);
  if (absolute !== dataDir && !absolute.startsWith(dataDir + path.sep)) {
    throw new DataPathError(`File name "${name}" resolves outside the data directory.`);
  }
  return absolute;
}
