import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium, which .ci/run installs; CHROMIUM_PATH for another. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the screenshots of each page go, for a reviewer to look at. */
export const SCREENSHOTS = path.resolve(__dirname, '../../test-output/screenshots');

/** One headless chromium for a test file. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A context of a PC (1366×800) or a phone inside the WeCom app (390×844, wxwork user agent). */
export async function newContext(browser: Browser, base: string, device: 'pc' | 'wecom-phone' = 'pc'): Promise<BrowserContext> {
  if (device === 'pc') return browser.newContext({ baseURL: base, viewport: { width: 1366, height: 800 }, locale: 'zh-CN' });
  return browser.newContext({
    baseURL: base,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.30 MicroMessenger/7.0.1 Language/zh',
  });
}

/** Saves a full-page screenshot as test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A locator of a `data-test` hook (web/TEST-HOOKS.md). */
export const hook = (page: Page, name: string) => page.locator(`[data-test="${name}"]`);
