/**
 * The per-stream output cap: the setting every backend resolves alike, and the cap itself for
 * backends whose service hands us whole streams (E2B, Daytona).
 * The marker is the one the Local kernel writes, so a truncated cell reads the same everywhere.
 */
import { numberSetting, type Env } from '../config/settings.js';
import { DEFAULT_OUTPUT_LIMIT_BYTES } from '../kernel/kernel-client.js';

/** Caps one stream at `limitBytes` of UTF-8, with the same marker the Local kernel uses. */
export function capOutput(text: string, limitBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limitBytes) return text;
  // Back off to a character boundary so no half character is emitted.
  let end = limitBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return `${bytes.subarray(0, end).toString('utf8')}\n[output truncated: ${bytes.length - end} more bytes]\n`;
}

/** The option every backend takes for the cap. */
export interface OutputCapOptions {
  /** Per-stream output cap per cell; default TIDEPOOL_OUTPUT_LIMIT_BYTES, else 1 MiB. */
  outputLimitBytes?: number;
}

/** The option, else TIDEPOOL_OUTPUT_LIMIT_BYTES, else the kernel's 1 MiB, so every backend caps alike. */
export function resolveOutputLimitBytes(option: number | undefined, env: Env | undefined): number {
  return numberSetting(option, 'TIDEPOOL_OUTPUT_LIMIT_BYTES', DEFAULT_OUTPUT_LIMIT_BYTES, env);
}
