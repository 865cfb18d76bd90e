/**
 * What both API generations share: the protocol interface the client drives, and the helpers
 * for names and response bodies. Each generation lives in its own file (wire-gen1/2.ts).
 */
import { MOUNT_POINT } from '../../../kernel/data-paths.js';
import { dataName } from '../../data-name.js';
import { TransportError } from '../../../errors.js';
import { isImageResult } from '../../execution.js';
import type { FileInfo, ImageResult } from '../../types.js';
import type { AcaResponse, AcaTransport } from './transport.js';

/** One execution as the service reported it, before it becomes an ExecutionResult. */
export interface WireExecution {
  succeeded: boolean;
  /** The status text as sent, for messages. */
  status: string;
  stdout: string;
  stderr: string;
  result: unknown;
  /**
   * Images the cell produced besides the one sent as `result` (a Tidepool pool's `images` field;
   * Azure sends none). Each image travels once: a figure-valued cell's image is only in `result`.
   */
  images: ImageResult[];
  executionTimeMs?: number;
  /** A structured error message, when the service sent one (gen-2 `error`). */
  serviceError?: string;
}

export interface ExecuteRequest {
  identifier: string;
  code: string;
  timeoutMs: number;
  /** The whole request's limit (execution plus the round trip). */
  requestTimeoutMs: number;
  signal?: AbortSignal;
}

/** One Shell-pool execution as the service reported it: the exit code and the streams. */
export interface WireShellExecution {
  exitCode: number;
  stdout: string;
  stderr: string;
  executionTimeMs?: number;
}

export interface FileRequest {
  identifier: string;
  signal?: AbortSignal;
}

/** The operations of one API generation, in the contract's terms. */
export interface WireProtocol {
  execute(request: ExecuteRequest): Promise<WireExecution>;
  /** A bash command on a Shell pool (`shellCommand`); absent for API versions before Shell pools (2025-02-02-preview). */
  executeShell?(request: ExecuteRequest): Promise<WireShellExecution>;
  upload(request: FileRequest & { name: string; data: Uint8Array }): Promise<FileInfo>;
  list(request: FileRequest): Promise<FileInfo[]>;
  download(request: FileRequest & { name: string }): Promise<Uint8Array>;
  deleteFile(request: FileRequest & { name: string }): Promise<void>;
  /** Absent for API versions without `DELETE session`. */
  deleteSession?(request: FileRequest): Promise<void>;
}

export type WireFactory = (transport: AcaTransport) => WireProtocol;

/** Azure's documented cap per execution; longer requests are clamped by the service anyway. */
export const MAX_EXECUTION_SECONDS = 220;

export function timeoutInSeconds(timeoutMs: number): number {
  return Math.min(MAX_EXECUTION_SECONDS, Math.max(1, Math.ceil(timeoutMs / 1000)));
}

/** Percent-encodes each segment (spaces, `#`, `%`, emoji…) and keeps the `/` between them. */
export function encodeDataPath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/** Strips a leading /mnt/data from names the service reports. */
export function relativeName(name: string): string {
  let rest = name.replace(/\\/g, '/');
  if (rest === MOUNT_POINT || rest.startsWith(`${MOUNT_POINT}/`)) rest = rest.slice(MOUNT_POINT.length);
  return rest.replace(/^\.?\/+/, '');
}

export interface ShapeIssue {
  path: PropertyKey[];
  message: string;
}

/** What parseBody needs of a schema: zod's `safeParse`, or a hand-written check that answers alike. */
export interface BodyShape<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: ShapeIssue[] } };
}

export function parseBody<T>(response: AcaResponse, schema: BodyShape<T>, operation: string): T {
  const text = new TextDecoder('utf-8').decode(response.bytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw unexpected(response, text, operation, 'the body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw unexpected(response, text, operation, parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return parsed.data;
}

function unexpected(response: AcaResponse, body: string, operation: string, why: string): TransportError {
  return new TransportError(
    `Could not ${operation}: the response from ${response.url} has an unexpected shape (${why}). Check ACA_API_VERSION matches what the pool serves.`,
    { statusCode: response.status, url: response.url, responseBody: body.slice(0, 4000) },
  );
}

/** The well-formed images of a wire `images` field; anything else in it is ignored. */
export function wireImages(value: unknown): ImageResult[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isImageResult).map((image) => ({ type: 'image', format: image.format ?? 'png', base64_data: image.base64_data }));
}

export function toDate(value: string | undefined | null): Date {
  const date = value ? new Date(value) : new Date(Number.NaN);
  return Number.isNaN(date.getTime()) ? new Date(0) : date;
}

/** `GET` a file's bytes; the generations differ only in the path of a file's content. */
export async function downloadFile(
  transport: AcaTransport,
  { identifier, name, signal }: FileRequest & { name: string },
  contentPath: (encodedName: string) => string,
): Promise<Uint8Array> {
  const relative = dataName(name);
  const response = await transport.send({
    method: 'GET',
    path: contentPath(encodeDataPath(relative)),
    identifier,
    safety: 'idempotent',
    operation: `download ${relative}`,
    signal,
  });
  return response.bytes;
}

/** `DELETE files/{name}`, the same in both generations. */
export async function deleteFile(transport: AcaTransport, { identifier, name, signal }: FileRequest & { name: string }): Promise<void> {
  const relative = dataName(name);
  await transport.send({ method: 'DELETE', path: `files/${encodeDataPath(relative)}`, identifier, safety: 'idempotent', operation: `delete ${relative}`, signal });
}

export function multipart(fileName: string, data: Uint8Array): FormData {
  const form = new FormData();
  // Copy into a fresh ArrayBuffer-backed view: Blob wants plain ArrayBuffer memory.
  form.append('file', new Blob([new Uint8Array(data)], { type: 'application/octet-stream' }), fileName);
  return form;
}
