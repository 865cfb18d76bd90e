/** File metadata in both wire shapes: gen-1 `properties` envelopes and gen-2 SessionResourceFile. */
import path from 'node:path';
import type { PoolFileInfo } from '../types.js';

/** .NET's round-trip time format ("o"), which gen-1 fixtures use: 7 fractional digits and Z. */
export function dotNetRoundTrip(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.py': 'text/x-python; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.yaml': 'application/yaml; charset=utf-8',
  '.yml': 'application/yaml; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.parquet': 'application/vnd.apache.parquet',
};

export function contentTypeFor(name: string): string {
  return CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/** Gen-1 list envelope with Newtonsoft-style `$id`s: {"$id":"1","value":[{"$id":"2","properties":{"$id":"3",…}}]}. */
export function gen1FileList(files: PoolFileInfo[]): Record<string, unknown> {
  let nextId = 2;
  return {
    $id: '1',
    value: files.map((file) => {
      const outer = String(nextId++);
      const inner = String(nextId++);
      return {
        $id: outer,
        properties: { $id: inner, filename: file.name, size: file.sizeBytes, lastModifiedTime: dotNetRoundTrip(file.lastModified) },
      };
    }),
  };
}

/** Gen-2 SessionResourceFile: `name` is the base name, `directory` the folder under /mnt/data ("" for the top). */
export function sessionResourceFile(file: PoolFileInfo): Record<string, unknown> {
  const slash = file.name.lastIndexOf('/');
  const body: Record<string, unknown> = {
    name: slash === -1 ? file.name : file.name.slice(slash + 1),
    type: file.type,
    sizeInBytes: file.sizeBytes,
    lastModifiedAt: file.lastModified.toISOString(),
    directory: slash === -1 ? '' : file.name.slice(0, slash),
  };
  if (file.type === 'file') body.contentType = contentTypeFor(file.name);
  return body;
}

/**
 * The legacy python/* list: `{"$id":"1","$values":[{"$id":"2","filename","size","last_modified_time"}]}`,
 * as Semantic Kernel's legacy plugins parse it.
 */
export function legacyFileList(files: PoolFileInfo[]): Record<string, unknown> {
  return {
    $id: '1',
    $values: files.map((file, index) => ({ $id: String(index + 2), filename: file.name, size: file.sizeBytes, last_modified_time: dotNetRoundTrip(file.lastModified) })),
  };
}
