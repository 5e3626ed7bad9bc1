import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium: used when present (.ci/run installs it with apt as a speed-up). */
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Where the screenshots of each page go, for a reviewer to look at. */
export const SCREENSHOTS = path.resolve(__dirname, '../../test-output/screenshots');

/** The browser the tests drive. */
export interface ChromiumBinary {
  executablePath: string;
  /** Fonts that came with the binary (the npm build ships Open Sans for Latin text). */
  fontDir?: string;
}

/**
 * The npm Chromium: @sparticuz/chromium ships a brotli-compressed headless Chromium inside its
 * package tarball, so `npm ci` brings it from the npm registry alone (no install script, no
 * download). It is inflated once per installed version into node_modules/.cache, through a
 * staging directory renamed into place, so a run killed half way never leaves a broken binary.
 * The package is ESM only, so a child Node process runs its `executablePath()`, with TMPDIR
 * pointing at the staging directory (where the package inflates everything).
 */
async function npmChromium(): Promise<ChromiumBinary> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(
      `the Chromium from npm runs on Linux x64 only; on ${process.platform}-${process.arch} set CHROMIUM_PATH to a Chrome or Chromium`,
    );
  const entry = require.resolve('@sparticuz/chromium');
  const pkgDir = path.resolve(path.dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const cache = path.resolve(pkgDir, '../../.cache/kepubot-chromium');
  const dir = path.join(cache, version);
  const binary = { executablePath: path.join(dir, 'chromium'), fontDir: path.join(dir, 'fonts') } as const;
  if (existsSync(binary.executablePath)) return binary;
  mkdirSync(cache, { recursive: true });
  const staging = mkdtempSync(path.join(cache, `.${version}-`));
  try {
    const script = `const { default: c } = await import(${JSON.stringify(pathToFileURL(entry).href)}); process.stdout.write(await c.executablePath());`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { encoding: 'utf8', env: { ...process.env, TMPDIR: staging }, timeout: 120_000 },
        (err, out) => (err ? reject(err) : resolve(out)),
      ),
    );
    if (stdout !== path.join(staging, 'chromium')) throw new Error(`@sparticuz/chromium inflated to ${stdout}, not into ${staging}`);
    renameSync(staging, dir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(binary.executablePath)) throw err; // another test worker got there first: fine
  }
  return binary;
}

/** CHROMIUM_PATH if set, else Debian's chromium if installed, else the one `npm ci` brought. */
export async function chromiumBinary(): Promise<ChromiumBinary> {
  if (process.env.CHROMIUM_PATH) return { executablePath: process.env.CHROMIUM_PATH };
  if (existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM };
  return npmChromium();
}

/**
 * A fontconfig file in a fresh temporary directory: the machine's fonts if it has any, plus the
 * CJK font that `npm ci` installs for the ranking card (Noto Sans Hans from @embedpdf/fonts-sc),
 * so Chinese renders in the screenshots without a system CJK font.
 */
function fontconfigFile(dir: string, extraFontDir?: string): string {
  const cjk = path.join(path.dirname(require.resolve('@embedpdf/fonts-sc')), '..', 'fonts');
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const dirs = [cjk, ...(extraFontDir ? [extraFontDir] : [])].map((d) => `  <dir>${esc(d)}</dir>`);
  const file = path.join(dir, 'fonts.conf');
  writeFileSync(
    file,
    [
      '<?xml version="1.0"?>',
      '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
      '<fontconfig>',
      '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
      ...dirs,
      `  <cachedir>${esc(path.join(dir, 'cache'))}</cachedir>`,
      '</fontconfig>',
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * One headless chromium for a test file. Playwright adds --headless, --no-sandbox, a fresh
 * --user-data-dir in a temporary directory (it refuses one in `args`), --disable-background-networking,
 * --disable-component-update, --disable-sync and --no-first-run itself; they are repeated here
 * (but the profile) so the list of what this machine needs is in one place.
 */
export async function launchBrowser(): Promise<Browser> {
  const binary = await chromiumBinary();
  const dir = mkdtempSync(path.join(tmpdir(), 'kepubot-browser-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const browser = await chromium
    .launch({
      executablePath: binary.executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      env: { ...process.env, FONTCONFIG_FILE: fontconfigFile(dir, binary.fontDir) },
    })
    .catch((err: unknown) => {
      removeDir();
      throw err;
    });
  browser.on('disconnected', removeDir);
  return browser;
}

/**
 * A context of a PC (1366×800) or a phone inside the WeCom app (390×844, wxwork user agent).
 * With `now`, the pages' clock starts at the server's (manual) clock and runs on from there, so
 * "this month" in a page is the month the test's data is in, whatever the date of the run.
 */
export async function newContext(browser: Browser, base: string, device: 'pc' | 'wecom-phone' = 'pc', now?: Date): Promise<BrowserContext> {
  const context = await openContext(browser, base, device);
  if (now) await context.clock.install({ time: now });
  const traffic = { inFlight: 0, lastChange: Date.now() };
  const change = (by: number) => {
    traffic.inFlight += by;
    traffic.lastChange = Date.now();
  };
  context.on('request', () => change(1));
  context.on('requestfinished', () => change(-1));
  context.on('requestfailed', () => change(-1));
  trafficOf.set(context, traffic);
  return context;
}

/** Requests in flight per context (counted from its creation) and when that last changed. */
const trafficOf = new WeakMap<BrowserContext, { inFlight: number; lastChange: number }>();

/**
 * Waits until the page has its data: no request in flight for half a second (a page's first
 * requests start when it mounts, so a quiet moment right after a click does not count), no
 * loading mask shown and no transition still running (a tag fading in has a lighter colour).
 */
export async function settled(page: Page): Promise<void> {
  const traffic = trafficOf.get(page.context());
  if (!traffic) throw new Error('settled() needs a context from newContext()');
  const deadline = Date.now() + 30_000;
  while (traffic.inFlight > 0 || Date.now() - traffic.lastChange < 500) {
    if (Date.now() > deadline) throw new Error(`the page still loads after 30 s: ${page.url()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await page.locator('.el-loading-mask:visible').first().waitFor({ state: 'detached' });
  type Doc = { document: { getAnimations(): Array<{ playState: string }> } };
  await page.waitForFunction(() => (globalThis as unknown as Doc).document.getAnimations().every((a) => a.playState !== 'running'));
}

async function openContext(browser: Browser, base: string, device: 'pc' | 'wecom-phone'): Promise<BrowserContext> {
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

/** One element axe-core found in violation of a rule. */
export interface AxeFinding {
  rule: string;
  impact: string;
  target: string;
  summary: string;
}

/** The WCAG 2 A and AA rules (GB/T 37668 follows WCAG) that axe-core checks on every page. */
export const WCAG_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Runs axe-core's WCAG 2 A/AA rules on the page as it is now; one line per element in violation. */
export async function accessibilityViolations(page: Page): Promise<AxeFinding[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG_AA_TAGS).analyze();
  return violations.flatMap((v) =>
    v.nodes.map((n) => ({
      rule: v.id,
      impact: n.impact ?? v.impact ?? '',
      target: n.target.map(String).join(' '),
      summary: (n.failureSummary ?? v.help).replace(/\s+/g, ' ').slice(0, 200),
    })),
  );
}

/** A locator of a `data-test` hook (web/TEST-HOOKS.md). */
export const hook = (page: Page, name: string) => page.locator(`[data-test="${name}"]`);
