/**
 * Streams multipart uploads straight into the session (no buffering of whole files), and stops
 * with 413 as soon as one file passes the limit (first by the declared Content-Length, then by
 * counting bytes as they arrive, busboy's fileSize limit) or the bytes of the whole request pass
 * the per-request limit.
 */
import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import type { PoolFileInfo } from '../types.js';
import { PoolApiError, validationError } from './errors.js';

/** Azure's documented per-file upload limit. */
export const MAX_UPLOAD_BYTES = 128 * 1024 * 1024;
/** Room for part headers and boundaries before the declared length alone proves a file is too big. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
const MAX_FILES_PER_REQUEST = 32;
/**
 * After refusing an upload we still read (and drop) up to this much more of the body, so the
 * client finishes sending and sees the 413 instead of a reset connection; beyond it we hang up.
 */
const DISCARD_LIMIT_BYTES = MAX_UPLOAD_BYTES * 2;
const DISCARD_TIMEOUT_MS = 60_000;

/**
 * The most one upload request may carry: nothing past the session's /mnt/data size could be
 * stored anyway, and one file may always be as large as the per-file limit.
 */
export function uploadRequestLimit(fileLimitBytes: number, diskMb: number): number {
  return Math.max(fileLimitBytes, diskMb * 1024 * 1024) + MAX_FILES_PER_REQUEST * MULTIPART_OVERHEAD_BYTES;
}

export interface UploadHandlers {
  /** Maps the client's multipart filename to a /mnt/data-relative path (throws a 400 for bad names). */
  resolveName(filename: string): string;
  write(name: string, data: Readable): Promise<PoolFileInfo>;
  /** Removes what was written of a file that turned out too large. */
  discard(name: string): Promise<void>;
}

export interface UploadResult {
  files: PoolFileInfo[];
  bytesIn: number;
}

export function tooLarge(limitBytes: number): PoolApiError {
  const megabytes = Math.round(limitBytes / (1024 * 1024));
  return new PoolApiError(413, 'PayloadTooLarge', `The uploaded file is larger than the ${megabytes} MB limit per file; split it into smaller files or compress it.`, {
    target: 'file',
    // The rest of the body may still be in flight; a client must not reuse this connection.
    headers: { Connection: 'close' },
  });
}

function tooLargeRequest(limitBytes: number): PoolApiError {
  const megabytes = Math.round(limitBytes / (1024 * 1024));
  return new PoolApiError(413, 'PayloadTooLarge', `The upload request is larger than ${megabytes} MB in total, more than the session's /mnt/data can hold; send fewer or smaller files per request.`, {
    target: 'file',
    headers: { Connection: 'close' },
  });
}

export async function receiveUploads(
  request: Request,
  handlers: UploadHandlers,
  limitBytes = MAX_UPLOAD_BYTES,
  requestLimitBytes = uploadRequestLimit(limitBytes, 0),
): Promise<UploadResult> {
  const declaredType = request.headers.get('content-type') ?? '';
  if (!request.body) throw validationError('The upload has no body; send a multipart part named "file".', 'file');
  const { contentType, source } = /^multipart\/form-data/i.test(declaredType)
    ? { contentType: declaredType, source: Readable.fromWeb(request.body as unknown as NodeReadableStream) }
    : await sniffMultipart(request.body, declaredType);
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limitBytes + MULTIPART_OVERHEAD_BYTES) return discardThen(source, tooLarge(limitBytes));

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      limits: { fileSize: limitBytes, files: MAX_FILES_PER_REQUEST },
      defParamCharset: 'utf8',
      // Keep the client's full name: /mnt/data/x and sub/x are meaningful, and ../x must be refused, not silently trimmed.
      preservePath: true,
    });
  } catch (error) {
    return discardThen(source, validationError(`The multipart body cannot be parsed: ${(error as Error).message}.`, 'file'));
  }
  let bytesIn = 0;

  return new Promise<UploadResult>((resolve, reject) => {
    let settled = false;
    const writes: Promise<PoolFileInfo | undefined>[] = [];
    const started: { name: string; body: PassThrough }[] = [];
    // A refused request keeps none of its files: the client is told it failed, so a file stored
    // before a later part broke (a truncated body, a bad name, the request limit) must not stay.
    // The file in flight is cut, the stored ones are removed once every write has settled, and
    // only then does the client get its answer.
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      source.unpipe(parser);
      for (const { body } of started) if (!body.writableFinished) body.destroy(error as Error);
      const drained = discardThen(source, error).catch(() => undefined);
      void Promise.allSettled(writes)
        .then(() => Promise.all(started.map(({ name }) => handlers.discard(name).catch(() => undefined))))
        .then(() => drained)
        .then(() => reject(error));
    };
    const countIn = (chunk: Buffer) => {
      bytesIn += chunk.length;
      if (bytesIn <= requestLimitBytes || settled) return;
      source.off('data', countIn);
      fail(tooLargeRequest(requestLimitBytes));
    };
    source.on('data', countIn);

    parser.on('file', (_field, stream, info) => {
      // busboy destroys the part's stream with its own error when the body ends inside the part
      // ("Unexpected end of form"); unheard, that error would end the whole server. The parser
      // reports the same failure on its own 'error' event, which answers the request.
      stream.on('error', (error) => fail(validationError(`The multipart body cannot be parsed: ${error.message}.`, 'file')));
      if (settled) {
        stream.resume();
        return;
      }
      let name: string;
      try {
        if (!info.filename) throw validationError('A multipart file part has no filename; set one, e.g. filename="data.csv".', 'file');
        name = handlers.resolveName(info.filename);
      } catch (error) {
        stream.resume();
        fail(error);
        return;
      }
      const body = new PassThrough();
      // The write reports the failure; this keeps a body cut after its write settled from crashing.
      body.on('error', () => undefined);
      started.push({ name, body });
      let cutOff = false;
      stream.on('limit', () => {
        cutOff = true;
        const error = tooLarge(limitBytes);
        body.destroy(error);
        stream.resume();
        fail(error);
      });
      stream.pipe(body);
      const written = handlers.write(name, body).catch((error: unknown) => {
        fail(error);
        return undefined;
      });
      writes.push(
        written.then(async (stored) => {
          // Whatever part of a cut-off file reached the session must not stay there.
          if (!cutOff) return stored;
          await handlers.discard(name).catch(() => undefined);
          return undefined;
        }),
      );
    });
    parser.on('error', (error: Error) => fail(validationError(`The multipart body cannot be parsed: ${error.message}.`, 'file')));
    parser.on('filesLimit', () => fail(validationError(`Send at most ${MAX_FILES_PER_REQUEST} files per upload request.`, 'file')));
    parser.on('close', () => {
      void Promise.all(writes).then((files) => {
        if (settled) return;
        const stored = files.filter((file): file is PoolFileInfo => file !== undefined);
        if (stored.length === 0) {
          fail(validationError('The upload has no file part; send multipart/form-data with a part named "file" that has a filename.', 'file'));
          return;
        }
        settled = true;
        resolve({ files: stored, bytesIn });
      });
    });
    source.on('error', (error) => fail(validationError(`The upload was interrupted: ${error.message}.`, 'file')));
    source.pipe(parser);
  });
}

/** RFC 2046: a boundary is 1 to 70 of these characters. */
const BOUNDARY_LINE = /^--([0-9A-Za-z'()+_,./:=?-]{1,70})\r\n/;
const BOUNDARY_LINE_MAX_BYTES = 2 + 70 + 2;

/**
 * A multipart body sent with another Content-Type. Semantic Kernel Python sets
 * `Content-Type: application/json` on its shared httpx client when it executes code, and httpx
 * keeps that header on a later upload, so its multipart body arrives labelled as JSON. A body
 * whose first line is a boundary line is read as multipart with that boundary; anything else is
 * refused with a 400 that says what to send.
 */
async function sniffMultipart(body: ReadableStream<Uint8Array>, declaredType: string): Promise<{ contentType: string; source: Readable }> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let head = Buffer.alloc(0);
  while (head.length < BOUNDARY_LINE_MAX_BYTES && !head.includes('\r\n')) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    head = Buffer.concat([head, value]);
  }
  const boundary = BOUNDARY_LINE.exec(head.subarray(0, BOUNDARY_LINE_MAX_BYTES).toString('latin1'))?.[1];
  const source = Readable.from(
    (async function* () {
      for (const chunk of chunks) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    })(),
    { objectMode: false },
  );
  if (!boundary) {
    await discardThen(source, validationError(`Uploads must be multipart/form-data with a part named "file" (got Content-Type "${declaredType || 'none'}").`, 'file'));
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, source };
}

/** Reads and drops the rest of the body (bounded), then rejects with `error`. */
function discardThen(source: Readable, error: unknown): Promise<never> {
  if (source.readableEnded || source.destroyed) return Promise.reject(error);
  return new Promise((_resolve, reject) => {
    let dropped = 0;
    const done = () => {
      clearTimeout(timer);
      source.off('data', onData);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > DISCARD_LIMIT_BYTES) {
        source.pause();
        done();
      }
    };
    const timer = setTimeout(done, DISCARD_TIMEOUT_MS);
    timer.unref();
    source.on('data', onData);
    source.once('end', done);
    source.once('close', done);
    source.once('error', done);
    source.resume();
  });
}
