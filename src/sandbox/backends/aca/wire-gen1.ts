/**
 * Gen-1 wire format (2024-02-02-preview, 2024-08-02-preview): `POST code/execute` with a
 * `properties` envelope, files under `files/upload`, `files`, `files/content/{name}`.
 */
import type { FileInfo } from '../../types.js';
import type { AcaTransport } from './transport.js';
import { dataName } from '../../data-name.js';
import { gen1ExecutionShape } from './execution-shape.js';
import type { Gen1FileProperties } from './file-shapes.js';
import { deleteFile, downloadFile, multipart, parseBody, relativeName, timeoutInSeconds, toDate, wireImages, type WireProtocol } from './wire.js';

/** zod comes with the file schemas, on the first file request (see execution-shape.ts). */
const fileShapes = () => import('./file-shapes.js');

function toFileInfo(properties: Gen1FileProperties): FileInfo {
  return { name: relativeName(properties.filename), sizeBytes: properties.size ?? 0, lastModified: toDate(properties.lastModifiedTime) };
}

export function createGen1Wire(transport: AcaTransport): WireProtocol {
  return {
    async execute({ identifier, code, timeoutMs, requestTimeoutMs, signal }) {
      const response = await transport.send({
        method: 'POST',
        path: 'code/execute',
        identifier,
        json: { properties: { codeInputType: 'inline', executionType: 'synchronous', code, timeoutInSeconds: timeoutInSeconds(timeoutMs) } },
        safety: 'execute',
        operation: 'execute code',
        timeoutMs: requestTimeoutMs,
        signal,
      });
      const body = parseBody(response, gen1ExecutionShape, 'execute code');
      const properties = body.properties ?? body;
      const status = properties.status ?? 'Success';
      return {
        succeeded: /^succe/i.test(status),
        status,
        stdout: properties.stdout ?? '',
        stderr: properties.stderr ?? '',
        result: properties.result !== undefined ? properties.result : properties.executionResult,
        images: wireImages(properties.images),
        executionTimeMs: properties.executionTimeInMilliseconds,
      };
    },

    async upload({ identifier, name, data, signal }) {
      const relative = dataName(name);
      const response = await transport.send({
        method: 'POST',
        path: 'files/upload',
        identifier,
        form: multipart(relative, data),
        safety: 'idempotent',
        operation: `upload ${relative}`,
        signal,
      });
      const listed = parseBody(response, (await fileShapes()).gen1FileList, `upload ${relative}`).value.map((entry) => toFileInfo(entry.properties));
      const info = listed.find((file) => file.name === relative) ?? listed[0];
      return { name: relative, sizeBytes: info?.sizeBytes ?? data.byteLength, lastModified: info?.lastModified ?? new Date() };
    },

    async list({ identifier, signal }) {
      const response = await transport.send({ method: 'GET', path: 'files', identifier, safety: 'idempotent', operation: 'list files', signal });
      return parseBody(response, (await fileShapes()).gen1FileList, 'list files').value.map((entry) => toFileInfo(entry.properties));
    },

    download: (request) => downloadFile(transport, request, (name) => `files/content/${name}`),

    deleteFile: (request) => deleteFile(transport, request),
  };
}
