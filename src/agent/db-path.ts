/**
 * Where conversations are kept: the option, else TIDEPOOL_DB_PATH, else tidepool.db in the OS's
 * per-user data directory (so an installed CLI does not litter whatever directory it runs in).
 */
import os from 'node:os';
import path from 'node:path';
import { stringSetting, type Env } from '../config/settings.js';

export function resolveDbPath(option: string | undefined, env: Env = process.env): string {
  return stringSetting(option, 'TIDEPOOL_DB_PATH', env) ?? path.join(userDataDir(env), 'tidepool', 'tidepool.db');
}

/** Linux: $XDG_DATA_HOME or ~/.local/share; macOS: ~/Library/Application Support; Windows: %LOCALAPPDATA%. */
export function userDataDir(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = env.HOME?.trim() || os.homedir();
  if (platform === 'win32') return env.LOCALAPPDATA?.trim() || path.join(home, 'AppData', 'Local');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support');
  return env.XDG_DATA_HOME?.trim() || path.join(home, '.local', 'share');
}
