/**
 * The chat's failure paths in Chromium, as a person meets them: Stop while the model hangs, a
 * message over the length limit, a sandbox session replaced between turns, tools that fail (live
 * and after a reload), and Markdown from a model that tries to inject HTML. The Local agent keeps
 * the sandbox side quick; a loopback stand-in in front of the scripted model can hang on demand.
 * Screenshots go where test/web/chromium.ts says (docs/screenshots/ with `npm run screenshots`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_CHARS } from '../../src/agent/input-limits.js';
import { startWebServer, type RunningWebServer } from '../../src/web/server.js';
import { startScriptedModelServer, type ScriptedModelServer } from '../support/scripted-model-server.js';
import { CHROMIUM, launchChromium, screenshotPath } from './chromium.js';
import { startModelStandIn, type ModelStandIn } from './model-stand-in.js';

describe.skipIf(!existsSync(CHROMIUM))('chat failure paths in Chromium', () => {
  let scripted: ScriptedModelServer;
  let model: ModelStandIn;
  let server: RunningWebServer;
  let browser: BrowserContext;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-browser-failures-'));
    scripted = await startScriptedModelServer();
    model = await startModelStandIn(scripted);
    server = await startWebServer({
      port: 0,
      dbPath: path.join(dir, 'tidepool.db'),
      env: { OPENAI_BASE_URL: model.url, OPENAI_MODEL: 'scripted' },
      allowUnsandboxedLocal: true,
      // The weather tools must not reach the internet; nothing here needs an answer from Open-Meteo.
      weather: { today: '2025-06-10', openMeteo: { geocodingUrl: 'http://127.0.0.1:9', forecastUrl: 'http://127.0.0.1:9', archiveUrl: 'http://127.0.0.1:9' } },
    });
    browser = await launchChromium(path.join(dir, 'chromium-profile'));
    page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(server.loginUrl);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await model?.close();
    await scripted?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A new conversation with the Local agent, ready for a first message. */
  const freshChat = async () => {
    await page.goto(server.url);
    await page.locator('[data-testid=agent-select] option').first().waitFor({ state: 'attached' });
    await page.click('[data-testid=new-conversation]');
    await page.selectOption('[data-testid=agent-select]', 'travel-local');
  };
  const send = async (text: string) => {
    await page.fill('[data-testid=prompt]', text);
    await page.click('[data-testid=send]');
  };
  const conversationId = () => new URL(page.url()).hash.replace('#c=', '');
  const assistant = (index: number) => page.locator('[data-testid=assistant-message]').nth(index);

  it('Stop ends a reply while the model hangs; the reply shows as stopped, also after a reload', async () => {
    await freshChat();
    model.hangNext();
    const { aborted } = model;
    await send('Is anyone there?');
    await page.locator('[data-testid=stop]').waitFor({ state: 'visible' });
    expect(await page.locator('[data-testid=send]').isVisible()).toBe(false);
    await expect.poll(() => model.hanging, { timeout: 30_000 }).toBe(1);
    await page.screenshot({ path: screenshotPath('stop-button-while-the-model-hangs'), fullPage: true });
    await page.click('[data-testid=stop]');
    await assistant(0).locator('[data-testid=stopped-notice]').waitFor({ timeout: 30_000 });
    expect(await assistant(0).getAttribute('data-outcome')).toBe('stopped');
    expect(await assistant(0).getAttribute('class')).not.toContain('streaming');
    await page.locator('[data-testid=send]').waitFor({ state: 'visible' });
    await expect.poll(() => model.aborted, { timeout: 30_000 }).toBe(aborted + 1);
    await page.screenshot({ path: screenshotPath('stopped-reply'), fullPage: true });

    // A fresh visit (no conversation in the address) reopens the last conversation.
    const id = conversationId();
    await page.goto(server.url);
    await page.locator('[data-testid=stopped-notice]').waitFor();
    expect(conversationId()).toBe(id);
    expect(await page.locator('[data-testid=stopped-notice]').textContent()).toBe('Stopped by you.');
  }, 120_000);

  it('keeps a 200 KB message in the box with an error naming the limit, and adds no conversation or bubble', async () => {
    await freshChat();
    const before = await page.locator('[data-testid=conversation-item]').count();
    const text = 'Please plan my trip. '.repeat(Math.ceil((200 * 1024) / 21)).slice(0, 200 * 1024);
    const requests = model.requests;
    await send(text);
    const error = page.locator('[data-testid=composer-error]');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toContain(`the limit is ${MAX_MESSAGE_CHARS.toLocaleString('en-US')} (${(text.trim().length - MAX_MESSAGE_CHARS).toLocaleString('en-US')} too many)`);
    expect((await page.inputValue('[data-testid=prompt]')).length).toBe(text.length);
    expect(await page.locator('[data-testid=assistant-message], [data-testid=user-message]').count()).toBe(0);
    expect(await page.locator('[data-testid=conversation-item]').count()).toBe(before);
    expect(model.requests).toBe(requests);
    await page.screenshot({ path: screenshotPath('message-over-the-length-limit') });
  }, 60_000);

  it('tells when the sandbox session was replaced between turns, and shows failed tools as failed live and after a reload', async () => {
    await freshChat();
    scripted.push(
      { expectUser: 'budget', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'budget = 1200\nprint("stored")' } }] } },
      { expectToolResultText: 'stored', reply: { text: 'Noted: your budget is **1200**.' } },
    );
    await send('My budget is 1200');
    await assistant(0).and(page.locator('[data-done=true]')).waitFor({ timeout: 60_000 });
    const first = assistant(0).locator('[data-testid=tool-card]');
    expect(await first.getAttribute('data-status')).toBe('success');
    expect(await first.locator('[data-testid=session-reset]').isVisible()).toBe(false);

    // The backend loses the session behind the conversation's back (a cooldown or restart would).
    await server.agents.get('travel-local').sandbox!.session(conversationId()).close();
    scripted.push(
      { expectUser: 'double', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'budget * 2' } }] } },
      { expectToolResultText: /New sandbox session — earlier variables and files are gone[\s\S]*NameError/, reply: { text: 'The sandbox was reset, so I no longer have your budget. What was it?' } },
      { expectUser: 'weather', reply: { toolCalls: [{ name: 'research_weather', arguments: { destination: 'Lisbon', dates: 'the twelfth of never' } }] } },
      { expectToolResult: 'research_weather', reply: { text: 'I could not understand those dates.' } },
    );
    await send('What is double my budget?');
    const lost = assistant(1).locator('[data-testid=tool-card]');
    await lost.and(page.locator('[data-status=error]')).waitFor({ timeout: 60_000 });
    expect(await lost.locator('[data-testid=session-reset]').textContent()).toContain('New sandbox session — earlier variables and files are gone.');
    expect(await lost.locator('[data-testid=tool-status]').textContent()).toMatch(/^failed after \d+ ms$/);
    expect(await lost.locator('[data-testid=tool-output]').textContent()).toContain('NameError');
    const phases = await lost.locator('[data-testid=lifecycle-event]').evaluateAll((items) => items.map((item) => (item as unknown as { dataset: { phase?: string } }).dataset.phase));
    expect(phases).toEqual(['creating', 'ready', 'executing', 'failed']);
    await assistant(1).and(page.locator('[data-done=true]')).waitFor({ timeout: 60_000 });
    expect(await assistant(1).getAttribute('data-outcome')).toBe('failed');

    await send('And the weather in Lisbon on the twelfth of never?');
    const research = assistant(2).locator('[data-testid=tool-card][data-tool=research_weather]');
    await research.and(page.locator('[data-status=error]')).waitFor({ timeout: 60_000 });
    await assistant(2).and(page.locator('[data-done=true]')).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: screenshotPath('session-reset-and-failed-tools'), fullPage: true });

    await page.reload();
    await assistant(2).waitFor();
    expect(await assistant(1).locator('[data-testid=tool-card]').getAttribute('data-status')).toBe('error');
    expect(await assistant(1).locator('[data-testid=session-reset]').isVisible()).toBe(true);
    expect(await assistant(2).locator('[data-testid=tool-card]').getAttribute('data-status')).toBe('error');
    expect(await assistant(0).locator('[data-testid=tool-card]').getAttribute('data-status')).toBe('success');
    expect(await assistant(0).locator('.text strong').textContent()).toBe('1200');
    expect(scripted.failures).toEqual([]);
    await page.screenshot({ path: screenshotPath('session-reset-and-failed-tools-after-reload'), fullPage: true });
  }, 180_000);

  it('renders the model\'s Markdown and drops the HTML it tries to inject', async () => {
    await freshChat();
    const injection = [
      '## Packing list',
      '',
      'Bring **sunscreen** and `SPF 50`:',
      '',
      '- a hat',
      '- [a map](https://example.org/map)',
      '',
      '| Day | High |',
      '| --- | --- |',
      '| Mon | 24 °C |',
      '',
      '<img src="x" onerror="window.__injected = \'img\'">',
      '<script>window.__injected = "script"</script>',
      '<a href="javascript:window.__injected = \'link\'">click me</a>',
      '<iframe src="/api/status"></iframe>',
      '![tracker](http://127.0.0.1:9/pixel.png?c=secret)',
    ].join('\n');
    scripted.push({ expectUser: 'pack', reply: { text: injection } });
    const outside: string[] = [];
    const watch = (request: { url(): string }) => {
      if (!request.url().startsWith(server.url)) outside.push(request.url());
    };
    page.on('request', watch);
    await send('What should I pack?');
    await assistant(0).and(page.locator('[data-done=true]')).waitFor({ timeout: 60_000 });
    const text = assistant(0).locator('.text');
    expect(await text.locator('h2').textContent()).toBe('Packing list');
    expect(await text.locator('strong').textContent()).toBe('sunscreen');
    expect(await text.locator('li').count()).toBe(2);
    expect(await text.locator('table td').count()).toBe(2);
    expect(await text.locator('a[href="https://example.org/map"]').getAttribute('rel')).toBe('noopener noreferrer');
    // HTML the model writes is shown as text, never interpreted.
    expect(await text.locator('script, iframe, [onerror]').count()).toBe(0);
    expect(await text.locator('a[href^="javascript:"]').count()).toBe(0);
    expect(await text.textContent()).toContain('<script>window.__injected = "script"</script>');
    // Images load only from this server: the tracker's URL is never requested.
    expect(await text.locator('img[src^="http"]').count()).toBe(0);
    expect(outside).toEqual([]);
    page.off('request', watch);
    expect(await page.evaluate(() => (globalThis as unknown as { __injected?: string }).__injected)).toBeUndefined();
    expect(scripted.failures).toEqual([]);
    await page.screenshot({ path: screenshotPath('markdown-with-an-injection-attempt'), fullPage: true });
  }, 60_000);

  it('draws its icons as SVG, needing no emoji font, fits long names in the sidebar, and serves a favicon', async () => {
    await page.goto(server.url);
    await page.locator('[data-testid=send] svg').waitFor();
    for (const selector of ['[data-testid=new-conversation]', '[data-testid=send]', '[data-testid=stop]']) {
      expect(await page.locator(`${selector} svg.icon`).count()).toBe(1);
    }
    // The page's own chrome (everything but what the model and tools wrote) has no emoji.
    const chrome = await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> } }).document;
      return Array.from(doc.querySelectorAll('.topbar, .sidebar, .composer, .session-panel')).map((node) => node.textContent ?? '').join(' ');
    });
    expect(chrome).not.toMatch(/\p{Extended_Pictographic}/u);
    // Long conversation titles and the unavailable agents' reasons (opened) fit the sidebar.
    await page.locator('[data-testid=agent-reason] summary').click();
    await page.locator('[data-testid=unavailable-agent]').first().waitFor({ state: 'visible' });
    const overflow = await page.locator('.sidebar').evaluate((node) => {
      const box = node as unknown as { scrollWidth: number; clientWidth: number; querySelector(s: string): { getBoundingClientRect(): { right: number } } | null; getBoundingClientRect(): { right: number } };
      return { scroll: box.scrollWidth - box.clientWidth, select: box.querySelector('select')!.getBoundingClientRect().right - box.getBoundingClientRect().right };
    });
    expect(overflow.scroll).toBeLessThanOrEqual(0);
    expect(overflow.select).toBeLessThanOrEqual(0);
    await page.screenshot({ path: screenshotPath('sidebar-with-unavailable-agents-open') });
    const favicon = await page.request.get(`${server.url}/favicon.ico`);
    expect(favicon.status()).toBe(200);
    expect(favicon.headers()['content-type']).toBe('image/svg+xml');
  }, 60_000);
});
