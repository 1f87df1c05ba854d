// `autocode report`: the self-contained HTML page opened offline in headless Chromium, its tables and
// its charts checked in the page, and the page rendered to a PNG under var/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeReport } from '../../cli/commands/report';
import { VAR_DIR } from '../../infra/paths';
import { launchBrowser } from '../helpers/browser';
import { evalMetrics, writeRunFixture } from './fixtures';

const ARTIFACTS = join(VAR_DIR, 'test-artifacts');

/** Width and height from a PNG's signature and IHDR chunk; throws when it is not a PNG. */
function pngSize(buf: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!buf.subarray(0, 8).equals(signature) || buf.toString('latin1', 12, 16) !== 'IHDR')
    throw new Error('not a PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

interface ChartState {
  id: string;
  figure: string;
  set: string | null;
  points: number;
  hasInstance: boolean;
  svgShapes: number;
  seriesLengths: number[];
  seriesTypes: string[];
}

async function charts(page: Page): Promise<ChartState[]> {
  return page.$$eval('.chart', (els) =>
    els.map((el) => {
      // biome-ignore lint/suspicious/noExplicitAny: the page's global ECharts
      const inst = (globalThis as any).echarts.getInstanceByDom(el);
      const series = (inst?.getOption().series ?? []) as { data: unknown[]; type: string }[];
      return {
        id: el.id,
        figure: el.getAttribute('data-figure') ?? '',
        set: el.getAttribute('data-set'),
        points: Number(el.getAttribute('data-points')),
        hasInstance: Boolean(inst),
        svgShapes: el.querySelectorAll('svg path, svg rect, svg text').length,
        seriesLengths: series.map((s) => s.data.length),
        seriesTypes: series.map((s) => s.type),
      };
    }),
  );
}

/** Cell texts of a table's row, by column id. */
async function row(
  page: Page,
  table: string,
  set: string,
  iteration: number,
): Promise<Record<string, string>> {
  return page.$$eval(
    `table.${table}[data-set="${set}"] tr[data-iteration="${iteration}"] td[data-col]`,
    (tds) => Object.fromEntries(tds.map((td) => [td.getAttribute('data-col'), td.textContent?.trim() ?? ''])),
  );
}

describe('the HTML report in headless Chromium', { timeout: 60_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'autocode-report-html-'));
  const runs = join(root, 'runs');
  const evals = join(root, 'evals');
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes report.md, report.html and a full-page PNG of a 3-iteration run', async () => {
    writeRunFixture(runs, 'html-run');
    const png = join(ARTIFACTS, 'report.png');
    const paths = await makeReport('html-run', { runsDir: runs, evalsDir: evals, png });
    expect(paths.markdown).toBe(join(runs, 'html-run', 'report.md'));
    expect(paths.html).toBe(join(runs, 'html-run', 'report.html'));
    expect(paths.png).toBe(png);
    const size = pngSize(readFileSync(png));
    expect(size.width).toBe(1240);
    // Two tables, four charts in rows of two, two more tables: well over one screen.
    expect(size.height).toBeGreaterThan(1500);
    expect(size.height).toBeLessThan(6000);
    expect(readFileSync(png).length).toBeGreaterThan(50_000);
  });

  it('shows Table 1 and Table 3 with the right numbers and one rendered chart per figure', async () => {
    writeRunFixture(runs, 'html-run2');
    const { html } = await makeReport('html-run2', { runsDir: runs });
    const page = await browser.newPage({ viewport: { width: 1240, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Self-contained: the page asks for nothing but itself (anything else would be refused offline).
    const requests: string[] = [];
    await page.route('**/*', (r) => {
      requests.push(r.request().url());
      return r.request().url().startsWith('file:') ? r.continue() : r.abort();
    });
    await page.goto(pathToFileURL(html).href);
    await page.waitForSelector('body[data-charts-ready]');
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(html).href]);
    expect(await page.$$('script[src], link[href], img[src]')).toHaveLength(0);

    expect(await row(page, 'table1', 'gsm8k', 2)).toEqual({
      cot: '60.0',
      code: '64.0',
      auto: '67.0',
      code_rate: '60.0',
      gain: '+3.0',
    });
    expect(await row(page, 'table1', 'tiny_world/add', 0)).toMatchObject({ auto: '50.0', gain: '-50.0' });
    expect(await page.$$eval('table.table1[data-set="gsm8k"] tbody tr', (r) => r.length)).toBe(3);
    expect(await row(page, 'table3', 'gsm8k', 1)).toEqual({
      n: '200',
      macc: '75.0',
      acc_cot: '70.0',
      acc_code: '75.0',
      acc_within_correct: '90.0',
      align_n: '111',
      strict_align: '60.0',
      allow_code: '20.0',
      mis_align: '20.0',
    });
    expect(await page.$$('table.table3[data-set="tiny_world/add"]')).toHaveLength(0);

    const all = await charts(page);
    expect(all.map((c) => [c.figure, c.set])).toEqual([
      ['accuracy', 'gsm8k'],
      ['accuracy', 'tiny_world/add'],
      ['confusion', 'gsm8k'],
      ['reward', null],
      ['train', null],
    ]);
    for (const c of all) {
      expect(c.hasInstance, c.id).toBe(true);
      expect(c.svgShapes, c.id).toBeGreaterThan(10);
    }
    const [acc, , conf, reward, train] = all as [ChartState, ChartState, ChartState, ChartState, ChartState];
    // Accuracy: cot, code, auto Pass@1 and auto code rate, one point per iteration (0, 1, 2).
    expect(acc.seriesLengths).toEqual([3, 3, 3, 3]);
    expect(acc.seriesTypes).toEqual(['line', 'line', 'line', 'line']);
    // Confusion: 3 labels x 2 choices; reward and training: the two EM iterations.
    expect(conf.seriesTypes).toEqual(['heatmap']);
    expect(conf.seriesLengths).toEqual([6]);
    expect(reward.seriesLengths).toEqual([2, 2, 2]);
    expect(train.seriesLengths).toEqual([2, 2, 2, 2]);
    // The plotted values are the recorded ones.
    const plotted = await page.evaluate(() => {
      // biome-ignore lint/suspicious/noExplicitAny: the page's chart registry
      const w = globalThis as any;
      return {
        auto: w.reportCharts['chart-accuracy-0'].getOption().series[2].data,
        heat: w.reportCharts['chart-confusion-0'].getOption().series[0].data,
        native: w.reportCharts['chart-reward'].getOption().series[2].data,
      };
    });
    expect(plotted.auto).toEqual([55, 61, 67]);
    expect(plotted.heat).toContainEqual([1, 1, 88]); // label code, choice code, iteration 2
    expect(plotted.native).toEqual([37.5, 37.5]);
    await page.close();
  });

  it('renders one evaluation: a bar chart over benchmarks, regressions highlighted, no selection labels', async () => {
    const dir = join(evals, 'nightly-7');
    mkdirSync(dir, { recursive: true });
    const metrics = Object.fromEntries(
      Object.entries(evalMetrics(1)).filter(([k]) => !k.includes('selection')),
    );
    writeFileSync(
      join(dir, 'result.json'),
      JSON.stringify({
        eval_id: 'nightly-7',
        checkpoint: { uri: '/ckpt/p1', key: 'p1' },
        metrics,
        regression: ['gsm8k.auto.accuracy'],
      }),
    );
    const { html, markdown } = await makeReport('nightly-7', { runsDir: runs, evalsDir: evals });
    expect(html).toBe(join(dir, 'report.html'));
    expect(readFileSync(markdown, 'utf8')).toContain('**61.0 (regression)**');
    const page = await browser.newPage();
    await page.goto(pathToFileURL(html).href);
    await page.waitForSelector('body[data-charts-ready]');
    expect(await page.textContent('#table3')).toContain('No selection labels.');
    expect(await page.$$eval('td.regression', (tds) => tds.map((td) => td.getAttribute('data-key')))).toEqual(
      ['gsm8k.auto.accuracy'],
    );
    const all = await charts(page);
    expect(all.map((c) => c.figure)).toEqual(['overview']);
    expect(all[0]?.seriesTypes).toEqual(['bar', 'bar', 'bar', 'bar']);
    expect(all[0]?.seriesLengths).toEqual([2, 2, 2, 2]); // gsm8k, tiny_world/add
    expect(all[0]?.svgShapes).toBeGreaterThan(10);
    await page.close();
  });
});
