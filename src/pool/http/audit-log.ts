/**
 * Append-only JSON-lines audit log: one line per request with who/what/how long, never the code
 * or file bytes (unless auditIncludeContent, then the executed code is added).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';

export interface AuditRecord {
  time: string;
  traceId: string;
  method: string;
  path: string;
  operation: string;
  identifier?: string;
  status: number;
  errorCode?: string;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
  remoteAddress?: string;
  code?: string;
}

export class AuditLog {
  readonly #stream: WriteStream;

  private constructor(stream: WriteStream) {
    this.#stream = stream;
  }

  static async open(file: string): Promise<AuditLog> {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    const stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
    await once(stream, 'open');
    return new AuditLog(stream);
  }

  write(record: AuditRecord): void {
    this.#stream.write(`${JSON.stringify(record)}\n`);
  }

  async close(): Promise<void> {
    if (this.#stream.closed) return;
    await new Promise<void>((resolve) => this.#stream.end(resolve));
  }
}
