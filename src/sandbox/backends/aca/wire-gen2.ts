/**
 * Gen-2 wire format (2024-10-02-preview, 2025-02-02-preview, 2025-10-02-preview): flat
 * `POST executions`, `files`, `files/{name}/content`, `DELETE session` from 2025-02-02.
 */
import path from 'node:path/posix';
import { SandboxTimeoutError } from '../../../errors.js';
import type { FileInfo } from '../../types.js';
import type { AcaApiVersion } from './api-versions.js';
import type { AcaTransport } from './transport.js';
import { dataName } from '../../data-name.js';
import { gen2ExecutionShape, gen2ShellExecutionShape, type Gen2ExecutionBody } from './execution-shape.js';
import type { Gen2ResourceFile } from './file-shapes.js';
import { deleteFile, downloadFile, multipart, parseBody, relativeName, timeoutInSeconds, toDate, wireImages, type WireExecution, type WireProtocol } from './wire.js';

/** zod comes with the file schemas, on the first file request (see execution-shape.ts). */
const fileShapes = () => import('./file-shapes.js');

const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'cancelled']);
/** How often to ask about an execution the service answered with Running/NotStarted. */
const POLL_INTERVAL_MS = 250;
/** Deepest directory level walked for versions that cannot list recursively. */
const MAX_LIST_DEPTH = 8;

function isDirectory(file: Gen2ResourceFile): boolean {
  return file.type?.toLowerCase() === 'directory';
}

function fullName(file: Gen2ResourceFile, parent: string): string {
  const directory = relativeName(file.directory ?? '').replace(/^\.$/, '') || parent;
  const name = relativeName(file.name);
  return directory && !name.includes('/') ? `${directory}/${name}` : name;
}

function toFileInfo(file: Gen2ResourceFile, parent = ''): FileInfo {
  return { name: fullName(file, parent), sizeBytes: file.sizeInBytes ?? 0, lastModified: toDate(file.lastModifiedAt) };
}

function toWireExecution(body: Gen2ExecutionBody): WireExecution {
  const serviceError = (body.error as { message?: unknown; error?: { message?: unknown } } | undefined) ?? undefined;
  const message = serviceError?.error?.message ?? serviceError?.message;
  return {
    succeeded: body.status.toLowerCase() === 'succeeded',
    status: body.status,
    stdout: body.result?.stdout ?? '',
    stderr: body.result?.stderr ?? '',
    result: body.result?.executionResult,
    images: wireImages(body.result?.images),
    executionTimeMs: body.result?.executionTimeInMilliseconds,
    serviceError: typeof message === 'string' ? message : undefined,
  };
}

export function createGen2Wire(transport: AcaTransport, api: AcaApiVersion): WireProtocol {
  async function listDirectory(identifier: string, directory: string, depth: number, signal: AbortSignal | undefined): Promise<FileInfo[]> {
    const response = await transport.send({
      method: 'GET',
      path: 'files',
      identifier,
      query: { path: directory || undefined, recursive: api.canListRecursively ? 'true' : undefined },
      safety: 'idempotent',
      operation: 'list files',
      signal,
    });
    const body = parseBody(response, (await fileShapes()).gen2FileList, 'list files');
    const entries = Array.isArray(body) ? body : body.value;
    const files = entries.filter((entry) => !isDirectory(entry)).map((entry) => toFileInfo(entry, directory));
    if (api.canListRecursively || depth >= MAX_LIST_DEPTH) return files;
    for (const entry of entries.filter(isDirectory)) files.push(...(await listDirectory(identifier, fullName(entry, directory), depth + 1, signal)));
    return files;
  }

  return {
    async execute({ identifier, code, timeoutMs, requestTimeoutMs, signal }) {
      const deadline = performance.now() + requestTimeoutMs;
      const response = await transport.send({
        method: 'POST',
        path: 'executions',
        identifier,
        json: { codeInputType: 'Inline', executionType: 'Synchronous', code, timeoutInSeconds: timeoutInSeconds(timeoutMs) },
        safety: 'execute',
        operation: 'execute code',
        timeoutMs: requestTimeoutMs,
        signal,
      });
      let body = parseBody(response, gen2ExecutionShape, 'execute code');
      // A synchronous call should come back finished; if the service still says Running, ask by id.
      while (!TERMINAL.has(body.status.toLowerCase()) && body.id) {
        if (performance.now() > deadline) {
          throw new SandboxTimeoutError(`Execution ${body.id} was still ${body.status} after ${requestTimeoutMs} ms; pass a larger timeoutMs.`, requestTimeoutMs);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
        const poll = await transport.send({
          method: 'GET',
          path: `executions/${encodeURIComponent(body.id)}`,
          identifier,
          safety: 'idempotent',
          operation: 'check execution status',
          signal,
        });
        body = parseBody(poll, gen2ExecutionShape, 'check execution status');
      }
      return toWireExecution(body);
    },

    executeShell: api.canRunShell
      ? async ({ identifier, code, timeoutMs, requestTimeoutMs, signal }) => {
          const response = await transport.send({
            method: 'POST',
            path: 'executions',
            identifier,
            json: { shellCommand: code, timeoutInSeconds: timeoutInSeconds(timeoutMs) },
            safety: 'execute',
            operation: 'run the shell command',
            timeoutMs: requestTimeoutMs,
            signal,
          });
          const body = parseBody(response, gen2ShellExecutionShape, 'run the shell command');
          return {
            exitCode: Number(body.status),
            stdout: body.result?.stdout ?? '',
            stderr: body.result?.stderr ?? '',
            executionTimeMs: body.result?.executionTimeInMilliseconds,
          };
        }
      : undefined,

    async upload({ identifier, name, data, signal }) {
      const relative = dataName(name);
      const directory = path.dirname(relative);
      const response = await transport.send({
        method: 'POST',
        path: 'files',
        identifier,
        query: { path: directory === '.' ? undefined : directory },
        form: multipart(path.basename(relative), data),
        safety: 'idempotent',
        operation: `upload ${relative}`,
        signal,
      });
      const body = parseBody(response, (await fileShapes()).gen2Uploaded, `upload ${relative}`);
      const file = Array.isArray(body) ? body[0] : body;
      return { name: relative, sizeBytes: file?.sizeInBytes ?? data.byteLength, lastModified: file ? toDate(file.lastModifiedAt) : new Date() };
    },

    list({ identifier, signal }) {
      return listDirectory(identifier, '', 0, signal);
    },

    download: (request) => downloadFile(transport, request, (name) => `files/${name}/content`),

    deleteFile: (request) => deleteFile(transport, request),

    deleteSession: api.canDeleteSession
      ? async ({ identifier, signal }) => {
          await transport.send({ method: 'DELETE', path: 'session', identifier, safety: 'idempotent', operation: 'delete the session', signal });
        }
      : undefined,
  };
}
