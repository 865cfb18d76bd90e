import { stringSetting, type Env } from './settings.js';

/** Debian's interpreter has the scientific packages a session offers (python3-numpy and friends). */
export const DEFAULT_PYTHON = '/usr/bin/python3';

/** The interpreter sessions run: option, else TIDEPOOL_PYTHON, else /usr/bin/python3. */
export function resolvePythonPath(option?: string, env: Env = process.env): string {
  return stringSetting(option, 'TIDEPOOL_PYTHON', env) ?? DEFAULT_PYTHON;
}
