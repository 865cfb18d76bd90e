/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), in a fresh temporary
 * profile, and where the browser tests put their screenshots: test-results/web/ (not tracked), or the
 * folder in TIDEPOOL_SCREENSHOTS_DIR — `npm run screenshots` points it at docs/screenshots/, the copies
 * the README links, so an ordinary test run never rewrites tracked files.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(process.env.TIDEPOOL_SCREENSHOTS_DIR?.trim() || path.join('test-results', 'web'));

export async function launchChromium(profileDir: string): Promise<BrowserContext> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // A persistent context is how playwright takes --user-data-dir: a fresh temporary profile.
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

export function screenshotPath(name: string): string {
  return path.join(SCREENSHOTS, `${name}.png`);
}
