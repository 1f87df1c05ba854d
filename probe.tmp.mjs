import { chromium } from 'playwright-core';

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
page.on('response', (r) => {
  if (r.request().method() !== 'GET') console.log('resp', r.status(), r.url());
});
page.on('console', (m) => console.log('console:', m.text().slice(0, 300)));
await page.goto('http://127.0.0.1:18234/namespaces/default/workflows/start-workflow');
await page.getByTestId('workflowId').fill('probe-emrun-3');
await page.getByTestId('taskQueue').fill('cpu');
await page.getByTestId('workflowType').fill('emRun');
await page.getByText('Task Queue is Active').waitFor({ timeout: 30000 });
await page.locator('[aria-label="Data"][contenteditable="true"]').first().click();
await page.keyboard.insertText(JSON.stringify({ spec: 'tiny', overrides: { iterations: 1 } }));
await page.getByTestId('workflowId').click();
await page.waitForTimeout(500);
await page.getByTestId('start-workflow-button').click();
await page.waitForTimeout(3000);
console.log(page.url());
await browser.close();
