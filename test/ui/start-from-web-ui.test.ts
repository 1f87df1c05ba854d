// A user starts emRun from the Temporal Web UI's Start Workflow form with one JSON object.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VAR_DIR } from '../../infra/paths';
import { queuePollers } from '../../infra/supervisor';
import { TASK_QUEUES } from '../../schemas/queues';
import { launchBrowser } from '../helpers/browser';
import { spawnCpuWorker, startTestServer, stopProcess, type TestServer } from '../helpers/stack';

const SHOTS = join(VAR_DIR, 'ui');

async function startFromForm(page: Page, ui: string, workflowId: string, input: unknown): Promise<void> {
  await page.goto(`${ui}/namespaces/default/workflows/start-workflow`);
  await page.getByTestId('workflowId').fill(workflowId);
  await page.getByTestId('taskQueue').fill(TASK_QUEUES.cpu);
  await page.getByTestId('workflowType').fill('emRun');
  // The UI checks the queue for pollers and shows a banner; wait for it so the layout is settled.
  await page.getByText('Task Queue is Active').waitFor({ timeout: 30_000 });
  await page.locator('[aria-label="Data"][contenteditable="true"]').first().click();
  await page.keyboard.insertText(JSON.stringify(input));
  // The form reads the JSON editor when it loses focus.
  await page.getByTestId('workflowId').click();
  await page.waitForTimeout(500);
  await page.getByTestId('start-workflow-button').click();
}

function storeEntries(store: string): number {
  if (!existsSync(store)) return 0;
  return readdirSync(store).reduce(
    (n, kind) => n + (statSync(join(store, kind)).isDirectory() ? readdirSync(join(store, kind)).length : 0),
    0,
  );
}

describe('starting emRun from the Web UI', { timeout: 180_000 }, () => {
  let server: TestServer & { uiUrl: string | null };
  let browser: Browser;
  let cpu: ChildProcess;
  let store: string;

  beforeAll(async () => {
    server = await startTestServer({ ui: true });
    const varDir = mkdtempSync(join(tmpdir(), 'autocode-ui-'));
    store = join(varDir, 'store');
    // Only the cpu worker: the run prepares its data, then waits for the (absent) gpu worker.
    cpu = spawnCpuWorker(server.address, 'ui-cpu', { AUTOCODE_VAR: varDir, AUTOCODE_STORE: store });
    // The form checks the queue for pollers once, when it is typed: have the worker polling first.
    for (let i = 0; i < 300 && (await queuePollers(server.client)).cpu.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    browser = await launchBrowser();
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await stopProcess(cpu);
    await server?.stop();
  });

  it('starts a run with a JSON object and shows it running', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const input = { spec: 'tiny', overrides: { iterations: 1 } };
    await startFromForm(page, server.uiUrl as string, 'ui-tiny', input);
    // The run prepares its datasets, then waits on the gpu queue: it stays Running.
    const handle = server.client.workflow.getHandle('ui-tiny');
    let stage = '';
    for (let i = 0; i < 300 && stage !== 'bootstrap'; i++) {
      stage = (await handle.query<{ stage: string }>('progress').catch(() => ({ stage: '' }))).stage;
      if (stage !== 'bootstrap') await new Promise((r) => setTimeout(r, 200));
    }
    expect(stage).toBe('bootstrap');
    const desc = await handle.describe();
    expect(desc.status.name).toBe('RUNNING');
    expect(desc.type).toBe('emRun');
    await page.goto(`${server.uiUrl}/namespaces/default/workflows/ui-tiny`);
    await page.getByText('Running').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'emrun-started-from-ui.png'), fullPage: true });
    expect(storeEntries(store)).toBeGreaterThan(0); // its query sets and demonstrations
    await handle.terminate('test done');
  });

  /** The run ids of a workflow id once none of its runs is still running. */
  async function closedRuns(workflowId: string): Promise<string[]> {
    for (let i = 0; ; i++) {
      const runs = [];
      for await (const w of server.client.workflow.list({ query: `WorkflowId = "${workflowId}"` }))
        runs.push(w);
      if (runs.length > 0 && runs.every((w) => w.status.name !== 'RUNNING')) return runs.map((w) => w.runId);
      if (i >= 300) throw new Error(`${workflowId}: a run is still running`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('fails fast on an invalid spec, naming the field, and writes nothing to the store', async () => {
    const before = storeEntries(store);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await startFromForm(page, server.uiUrl as string, 'ui-bad', {
      spec: 'tiny',
      overrides: { 'defaults.estimate.alpha': 'zero' },
    });
    await expect(server.client.workflow.getHandle('ui-bad').result()).rejects.toThrow();
    // Histories are read once visibility has the run closed (read at once, a failed run's history came
    // back without its last events once under load); every run of the id must fail the same way.
    const runs = await closedRuns('ui-bad');
    for (const runId of runs) {
      const handle = server.client.workflow.getHandle('ui-bad', runId);
      const history = await handle.fetchHistory();
      const message = JSON.stringify(history);
      expect(message).toContain('iteration.nodes[3].with.alpha');
      expect(message).toContain('InvalidSpec');
      expect((await handle.describe()).status.name).toBe('FAILED');
      // One attempt: the failure is non-retryable.
      const attempts = history.events?.filter((e) => e.activityTaskStartedEventAttributes) ?? [];
      expect(attempts.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([1]);
    }
    expect(storeEntries(store)).toBe(before);
    await page.goto(`${server.uiUrl}/namespaces/default/workflows/ui-bad`);
    await page.getByText('Failed').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'invalid-spec-from-ui.png'), fullPage: true });
  });
});
