/** A writable that remembers what was written, for testing commands in-process. */
import { Writable } from 'node:stream';

export class MemoryStream extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}
