/**
 * The per-stream output cap for backends whose service hands us whole streams (E2B, Daytona).
 * The marker is the one the Local kernel writes, so a truncated cell reads the same everywhere.
 */

/** Caps one stream at `limitBytes` of UTF-8, with the same marker the Local kernel uses. */
export function capOutput(text: string, limitBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limitBytes) return text;
  // Back off to a character boundary so no half character is emitted.
  let end = limitBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return `${bytes.subarray(0, end).toString('utf8')}\n[output truncated: ${bytes.length - end} more bytes]\n`;
}
