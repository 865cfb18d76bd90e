/** File names as the contract takes them: relative to /mnt/data, checked before anything leaves this process. */
import { DataPathError, normaliseDataPath } from '../kernel/data-paths.js';
import { InvalidInputError } from '../errors.js';

/** The normalised name relative to /mnt/data; `../x`, absolute paths and the like are an InvalidInputError. */
export function dataName(name: string): string {
  try {
    return normaliseDataPath(name);
  } catch (error) {
    if (error instanceof DataPathError) throw new InvalidInputError(error.message);
    throw error;
  }
}
