/**
 * Session identifiers, checked locally with the service's own rules so a bad one fails fast
 * with a clear message instead of a 400 after a network round trip.
 * Rules: the 2024-10-02 swagger allows `[A-Za-z0-9_-]{1,256}`; the docs and the
 * 2025 swaggers allow 4–128 printable ASCII characters from a fixed punctuation set. UUIDs pass both.
 */
import { InvalidInputError } from '../../../errors.js';
import type { AcaApiVersion } from './api-versions.js';

const SHORT_ALNUM = /^[A-Za-z0-9_-]{1,256}$/;
// The 2025-xx swagger pattern: letters, digits and these punctuation characters, 4 to 128 long.
const PRINTABLE = /^[A-Za-z0-9_|}{[\]:"';<>?/.,@#$%^&*()+=!~`-]{4,128}$/;

export function validateIdentifier(identifier: unknown, api: AcaApiVersion): string {
  if (typeof identifier !== 'string') throw new InvalidInputError('Session identifier must be a string.');
  if (api.identifierRule === 'short-alnum') {
    if (!SHORT_ALNUM.test(identifier)) {
      throw new InvalidInputError(
        `Session identifier "${identifier}" is not valid for ACA API ${api.version}: use 1-256 letters, digits, "-" or "_" (a UUID always works).`,
      );
    }
    return identifier;
  }
  if (!PRINTABLE.test(identifier)) {
    throw new InvalidInputError(
      `Session identifier "${identifier}" is not valid for ACA API ${api.version}: use 4-128 letters, digits and punctuation such as - _ . | # (no spaces or non-ASCII; a UUID always works).`,
    );
  }
  return identifier;
}
