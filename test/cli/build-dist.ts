/**
 * Vitest global setup. Some tests run the CLI the way a user does (bin/tidepool.js, which loads
 * dist/); a bare `npx vitest` must not test an old build. dist/ is rebuilt first when any source
 * file is newer than the JavaScript built from it (or has none).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function mtimeMs(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Sources under src/ whose dist/ counterpart is missing or older. */
export function staleSources(root = ROOT): string[] {
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const built = path.join(root, 'dist', path.relative(path.join(root, 'src'), file)).replace(/\.ts$/, '.js');
        if ((mtimeMs(built) ?? -1) < (mtimeMs(file) ?? 0)) stale.push(path.relative(root, file));
      }
    }
  };
  walk(path.join(root, 'src'));
  return stale;
}

export default function buildDistIfStale(): void {
  const stale = staleSources();
  if (stale.length === 0) return;
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  // Type errors elsewhere in the tree still emit JavaScript; the type check itself is `npm run typecheck`.
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  const still = staleSources();
  if (still.length > 0) {
    throw new Error(`dist/ is older than src/ (${still.slice(0, 3).join(', ')}${still.length > 3 ? ', …' : ''}) and \`tsc -p tsconfig.build.json\` did not rebuild it:\n${build.stdout}${build.stderr}`);
  }
}
