/** Where the package's shipped files are, whether running from src/ (tests) or dist/ (installed). */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PYTHON_DIR = path.join(PACKAGE_ROOT, 'python');
/** The JavaScript kernel NodeLTS pools run in their sessions. */
export const JAVASCRIPT_DIR = path.join(PACKAGE_ROOT, 'javascript');

export function pythonFile(name: string): string {
  return path.join(PYTHON_DIR, name);
}
