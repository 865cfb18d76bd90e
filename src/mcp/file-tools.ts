/**
 * upload_file, list_files and download_file over the MCP session's sandbox session (its /mnt/data).
 * Names are checked by the contract (relative, no `..`); sizes are bounded here so one call cannot
 * hold an unbounded buffer in the server.
 */
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import type { FileInfo, SandboxSession } from '../sandbox/types.js';

/** Largest file accepted or returned in one call; bigger files belong in code that runs in the session. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;
/** Text larger than this comes back as a base64 resource, which clients store rather than show. */
const MAX_INLINE_TEXT_BYTES = 1024 * 1024;

export const uploadFileInputSchema = z.object({
  name: z.string().trim().min(1).max(255).describe('Path relative to the session data directory (/mnt/data), e.g. "trips.csv" or "in/data.json".'),
  content: z.string().describe('The file content: text, or base64 when encoding is "base64".'),
  encoding: z.enum(['utf8', 'base64']).default('utf8').describe('"utf8" (default) for text, "base64" for binary files.'),
});

export const downloadFileInputSchema = z.object({
  name: z.string().trim().min(1).max(255).describe('Path relative to the session data directory, as list_files shows it.'),
});

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeUpload(input: z.infer<typeof uploadFileInputSchema>): Uint8Array {
  if (input.encoding === 'base64') {
    const compact = input.content.replace(/\s+/g, '');
    if (compact.length % 4 !== 0 || !BASE64.test(compact)) throw new InvalidInputError('content is not valid base64; send standard base64 (A-Z, a-z, 0-9, +, /, = padding) or use encoding "utf8" for text.');
    if ((compact.length / 4) * 3 > MAX_FILE_BYTES + 2) throw new InvalidInputError(tooLarge());
    return Buffer.from(compact, 'base64');
  }
  const bytes = Buffer.from(input.content, 'utf8');
  if (bytes.byteLength > MAX_FILE_BYTES) throw new InvalidInputError(tooLarge());
  return bytes;
}

export function describeFile(info: FileInfo): { name: string; sizeBytes: number; lastModified: string } {
  return { name: info.name, sizeBytes: info.sizeBytes, lastModified: info.lastModified.toISOString() };
}

export async function listFiles(session: SandboxSession, signal: AbortSignal): Promise<FileInfo[]> {
  return (await session.list({ signal })).sort((a, b) => a.name.localeCompare(b.name));
}

export interface DownloadedFile {
  name: string;
  bytes: Uint8Array;
  mediaType: string;
  /** Decoded text when the file is UTF-8 without NUL bytes and small enough to show. */
  text?: string;
}

export async function downloadFile(session: SandboxSession, name: string, signal: AbortSignal): Promise<DownloadedFile> {
  const bytes = await session.download(name, { signal });
  if (bytes.byteLength > MAX_FILE_BYTES) throw new InvalidInputError(`${name} is ${bytes.byteLength} bytes; download_file returns at most ${MAX_FILE_BYTES}. Summarise or split it with run_python first.`);
  const mediaType = mediaTypeOf(name);
  const text = !isRasterImage(mediaType) && bytes.byteLength <= MAX_INLINE_TEXT_BYTES ? asText(bytes) : undefined;
  return { name, bytes, mediaType: text !== undefined && mediaType === 'application/octet-stream' ? 'text/plain' : mediaType, ...(text !== undefined && { text }) };
}

/** Images MCP clients can show as image content; SVG is text and travels as such. */
export function isRasterImage(mediaType: string): boolean {
  return ['image/png', 'image/jpeg', 'image/gif', 'image/webp'].includes(mediaType);
}

function asText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

const MEDIA_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  csv: 'text/csv',
  txt: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
  html: 'text/html',
  py: 'text/x-python',
  pdf: 'application/pdf',
};

export function mediaTypeOf(name: string): string {
  const extension = name.split('.').pop()?.toLowerCase() ?? '';
  return MEDIA_TYPES[extension] ?? 'application/octet-stream';
}

function tooLarge(): string {
  return `The file is larger than ${MAX_FILE_BYTES} bytes, the most upload_file takes; split it, or fetch it from code with run_python.`;
}
