// A report page rendered in headless Chromium to a full-page PNG.
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHROMIUM, launchBrowser } from '../../infra/browser';

/** Opens the page from file:// (offline), waits for every chart, and screenshots the whole page. */
export async function renderPng(
  htmlPath: string,
  pngPath: string,
  opts: { width?: number } = {},
): Promise<string> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium or set AUTOCODE_CHROMIUM`);
  const out = resolve(pngPath);
  await mkdir(dirname(out), { recursive: true });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: opts.width ?? 1240, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(pathToFileURL(resolve(htmlPath)).href);
    await page.waitForSelector('body[data-charts-ready]', { timeout: 30_000 }).catch((err: unknown) => {
      throw new Error(
        `${htmlPath}: the charts did not render${errors.length ? `: ${errors.join('; ')}` : ''}`,
        {
          cause: err,
        },
      );
    });
    const tmp = `${out}.${process.pid}.tmp.png`;
    await page.screenshot({ path: tmp, fullPage: true });
    await rename(tmp, out);
    return out;
  } finally {
    await browser.close();
  }
}
