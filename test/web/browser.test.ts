/**
 * The UI in Debian's Chromium (playwright-core, never a downloaded browser): the pool agent answers
 * a weather question with a tool card and timings, draws a chart, and the conversation is still
 * there after a reload. A scripted model plays the LLM; an Open-Meteo replay server plays the weather.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type RunningWebServer } from '../../src/web/server.js';
import type { OpenMeteoReplay } from '../support/open-meteo-replay.js';
import { startScriptedModelServer, type ScriptedModelServer } from '../support/scripted-model-server.js';
import { CHROMIUM, launchChromium, screenshotPath } from './chromium.js';
import { openMeteoEnv, startTravelReplay, TODAY } from './travel-fixtures.js';

describe.skipIf(!existsSync(CHROMIUM))('web UI in Chromium', () => {
  let replay: OpenMeteoReplay;
  let model: ScriptedModelServer;
  let server: RunningWebServer;
  let browser: BrowserContext;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-browser-'));
    replay = await startTravelReplay();
    model = await startScriptedModelServer();
    server = await startWebServer({
      port: 0,
      dbPath: path.join(dir, 'tidepool.db'),
      env: { OPENAI_BASE_URL: model.url, OPENAI_MODEL: 'scripted', ...openMeteoEnv(replay) },
      weather: { today: TODAY },
      // A pool session's loopback is its own: it reaches the replay server only at the address allowed here.
      agents: { sandboxOptions: { pool: { pool: { egressAllow: replay.egressAllow } } } },
    });
    browser = await launchChromium(path.join(dir, 'chromium-profile'));
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await model?.close();
    await replay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('chats with the pool agent: weather tool card with timings, a chart, and the conversation after a reload', async () => {
    model.push(
      { expectUser: 'Miami and Tokyo in May', reply: { toolCalls: [{ name: 'research_weather', arguments: { destination: 'Miami and Tokyo', dates: 'May' } }] } },
      { expectToolResult: 'research_weather', expectToolResultText: /Miami[\s\S]*Tokyo/, reply: { text: 'In May Miami is hot and humid while Tokyo is mild. Would you like a chart comparing them?' } },
      { expectUser: 'chart', reply: { toolCalls: [{ name: 'chart_weather', arguments: { places: ['Miami', 'Tokyo'], dates: 'May' } }] } },
      { expectToolResult: 'chart_weather', reply: { text: 'Here is the chart of Miami and Tokyo in May.' } },
    );
    // The printed link: the token becomes a cookie and leaves the address bar.
    await page.goto(server.loginUrl);
    expect(page.url()).toBe(`${server.url}/`);
    await page.selectOption('[data-testid=agent-select]', 'travel-pool');
    // Local is off beside the pool (whose sessions have egress); ACA, E2B and Daytona are not configured.
    await expect.poll(() => page.locator('[data-testid=unavailable-agent]').count()).toBe(4);
    expect(await page.locator('[data-testid=unavailable-agent][data-agent=travel-local]').textContent()).toContain('--allow-unsandboxed-local');

    await page.fill('[data-testid=prompt]', 'What is the weather like in Miami and Tokyo in May?');
    await page.click('[data-testid=send]');
    const weatherCard = page.locator('[data-testid=tool-card][data-tool=research_weather]');
    await weatherCard.and(page.locator('[data-status=success]')).waitFor({ timeout: 90_000 });
    expect(await weatherCard.locator('[data-testid=backend-badge]').textContent()).toBe('Sandbox-Pool');
    const phases = await weatherCard.locator('[data-testid=lifecycle-event]').evaluateAll((items) => items.map((item) => (item as unknown as { dataset: { phase?: string } }).dataset.phase));
    expect(phases).toEqual(expect.arrayContaining(['executing', 'finished']));
    expect(await weatherCard.locator('[data-testid=lifecycle-event][data-phase=finished]').textContent()).toMatch(/^finished\s*call total \d+ ms$/);
    expect(await weatherCard.locator('[data-testid=tool-output]').textContent()).toContain('Tokyo');
    await page.locator('[data-testid=assistant-message][data-done=true]').first().waitFor();
    expect(await page.locator('[data-testid=assistant-message]').first().textContent()).toContain('Would you like a chart');
    await page.screenshot({ path: screenshotPath('weather-tool-card'), fullPage: true });

    await page.fill('[data-testid=prompt]', 'Yes, a chart please');
    await page.click('[data-testid=send]');
    const image = page.locator('[data-testid=tool-card][data-tool=chart_weather] img[data-testid=tool-image]');
    await image.waitFor({ timeout: 90_000 });
    await expect.poll(() => image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(100);
    await page.locator('[data-testid=assistant-message][data-done=true]').nth(1).waitFor();
    await page.screenshot({ path: screenshotPath('chart'), fullPage: true });
    // The same pool session served both calls: no reset notice, and the second found the session ready.
    const chartCard = page.locator('[data-testid=tool-card][data-tool=chart_weather]');
    expect(await chartCard.locator('[data-testid=session-reset]').isHidden()).toBe(true);
    expect(await chartCard.locator('[data-testid=lifecycle-event][data-phase=ready]').textContent()).toMatch(/^session reused\d+ ms$/);
    expect(model.failures).toEqual([]);
    expect(replay.unknown).toEqual([]);

    // Reload: the URL keeps the (secret) conversation id in the fragment; the list has it too.
    await page.reload();
    await page.locator('[data-testid=tool-card][data-tool=chart_weather] img[data-testid=tool-image]').waitFor();
    await page.goto(server.url);
    const item = page.locator('[data-testid=conversation-item]');
    await expect.poll(() => item.count()).toBe(1);
    expect(await item.textContent()).toContain('Miami and Tokyo');
    await item.locator('button.link').click();
    await page.locator('[data-testid=tool-card][data-tool=research_weather][data-status=success]').waitFor();
    await expect.poll(() => page.locator('[data-testid=tool-card] [data-testid=lifecycle-event]').count()).toBeGreaterThan(3);
    await expect
      .poll(() => page.locator('[data-testid=tool-card][data-tool=chart_weather] img[data-testid=tool-image]').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(100);
    await page.screenshot({ path: screenshotPath('conversation-after-reload'), fullPage: true });

    // The pool session's kernel dies between turns (code that exits, the memory limit): the pool
    // restarts it, keeping the files, and the next call says what was lost and what was kept.
    const conversationId = new URL(page.url()).hash.replace('#c=', '');
    await server.agents.get('travel-pool').sandbox!.session(conversationId).execute('import os\nos._exit(3)').catch(() => undefined);
    model.push(
      { expectUser: 'files', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'import os\nsorted(os.listdir("."))' } }] } },
      { expectToolResultText: /New Python kernel — earlier variables are gone; the files in \/mnt\/data were kept[\s\S]*tidepool-weather-chart/, reply: { text: 'The kernel restarted; the chart file is still there.' } },
    );
    await page.fill('[data-testid=prompt]', 'Which files do we have?');
    await page.click('[data-testid=send]');
    const reset = page.locator('[data-testid=assistant-message]').nth(2).locator('[data-testid=session-reset]');
    await reset.waitFor({ state: 'visible', timeout: 90_000 });
    expect(await reset.textContent()).toMatch(/^New Python kernel — earlier variables are gone; the files in \/mnt\/data were kept\. \(This session's previous kernel exited with code 3/);
    await page.locator('[data-testid=assistant-message][data-done=true]').nth(2).waitFor({ timeout: 90_000 });
    await reset.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('pool-kernel-restart-notice') });
    expect(model.failures).toEqual([]);
  }, 240_000);

  it('runs research_weather from the Tools page on the pool backend', async () => {
    await page.goto(`${server.url}/tools`);
    await page.selectOption('[data-testid=tool-agent]', 'travel-pool');
    await page.selectOption('[data-testid=tool-name]', 'research_weather');
    await page.fill('[data-testid=destination]', 'Tokyo');
    await page.fill('[data-testid=dates]', 'May');
    await page.click('[data-testid=run-tool]');
    const card = page.locator('[data-testid=tool-results] [data-testid=tool-card][data-status=success]');
    await card.waitFor({ timeout: 90_000 });
    expect(await card.locator('[data-testid=backend-badge]').textContent()).toBe('Sandbox-Pool');
    expect(await card.locator('[data-testid=tool-output]').textContent()).toContain('Tokyo');
    expect(await card.locator('[data-testid=lifecycle-event]').count()).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: screenshotPath('tools-page'), fullPage: true });
  }, 120_000);

  it('runs run_shell from the Tools page: a non-zero exit is a failed card with the exit code', async () => {
    await page.goto(`${server.url}/tools`);
    await page.selectOption('[data-testid=tool-agent]', 'travel-pool');
    await page.selectOption('[data-testid=tool-name]', 'run_shell');
    expect(await page.locator('[data-testid=code]').isVisible()).toBe(false);
    await page.fill('[data-testid=command]', 'echo "from the shell"; exit 3');
    await page.click('[data-testid=run-tool]');
    const card = page.locator('[data-testid=tool-results] [data-testid=tool-card][data-tool=run_shell]:not([data-status=running])');
    await card.waitFor({ timeout: 90_000 });
    expect(await card.getAttribute('data-status')).toBe('error');
    const output = await card.locator('[data-testid=tool-output]').textContent();
    expect(output).toContain('from the shell');
    expect(output).toContain('exit code: 3');
  }, 120_000);

  it('shows a browser without the cookie how to get in, and pasting the token opens the UI', async () => {
    await browser.clearCookies();
    const response = await page.goto(`${server.url}/tools`);
    expect(response?.status()).toBe(401);
    await page.locator('[data-testid=login-page]').waitFor();
    await page.screenshot({ path: screenshotPath('login'), fullPage: true });
    await page.fill('[data-testid=token-input]', server.token);
    await page.press('[data-testid=token-input]', 'Enter');
    await page.locator('[data-testid=agent-select] option').first().waitFor({ state: 'attached' });
    expect(page.url()).toBe(`${server.url}/`);
    expect(await page.locator('[data-testid=model-status]').textContent()).toContain('scripted');
  }, 60_000);
});
