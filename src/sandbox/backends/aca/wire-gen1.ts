/**
 * Gen-1 wire format (2024-02-02-preview, 2024-08-02-preview): `POST code/execute` with a
 * `properties` envelope, files under `files/upload`, `files`, `files/content/{name}`.
 */
import { z } from 'zod';
import type { FileInfo } from '../../types.js';
import type { AcaTransport } from './transport.js';
import { dataName } from '../../data-name.js';
import { deleteFile, downloadFile, multipart, parseBody, relativeName, timeoutInSeconds, toDate, wireImages, type WireProtocol } from './wire.js';

const executionProperties = z.looseObject({
  status: z.string().optional(),
  stdout: z.string().nullish(),
  stderr: z.string().nullish(),
  result: z.unknown().optional(),
  // NodeLTS pools name the value executionResult; Python pools call it result. Both are read.
  executionResult: z.unknown().optional(),
  // A Tidepool pool's images besides the one in `result` (see WireExecution.images).
  images: z.unknown().optional(),
  executionTimeInMilliseconds: z.number().optional(),
});
// The legacy flat shape carries the same fields without the envelope.
const executionResponse = z.looseObject({ properties: executionProperties.optional() }).and(executionProperties);

const fileProperties = z.looseObject({
  filename: z.string(),
  size: z.number().optional(),
  lastModifiedTime: z.string().optional(),
});
const fileList = z.looseObject({ value: z.array(z.looseObject({ properties: fileProperties })) });

function toFileInfo(properties: z.infer<typeof fileProperties>): FileInfo {
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
      const body = parseBody(response, executionResponse, 'execute code');
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
      const listed = parseBody(response, fileList, `upload ${relative}`).value.map((entry) => toFileInfo(entry.properties));
      const info = listed.find((file) => file.name === relative) ?? listed[0];
      return { name: relative, sizeBytes: info?.sizeBytes ?? data.byteLength, lastModified: info?.lastModified ?? new Date() };
    },

    async list({ identifier, signal }) {
      const response = await transport.send({ method: 'GET', path: 'files', identifier, safety: 'idempotent', operation: 'list files', signal });
      return parseBody(response, fileList, 'list files').value.map((entry) => toFileInfo(entry.properties));
    },

    download: (request) => downloadFile(transport, request, (name) => `files/content/${name}`),

    deleteFile: (request) => deleteFile(transport, request),
  };
}
