// Headless Chromium from Debian's package, driven by playwright-core (no browser download). Used by
// `autocode report --png` and by the browser tests.
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.AUTOCODE_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Root in CI: no user namespace sandbox. No background traffic: the machine has no network.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
