// The Markdown renderer and the loader behind it, on a run directory as emRun leaves it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadReport, loadRunReport, reportFromMetrics, resolveRunDir } from '../../engines/report/load';
import { renderMarkdown } from '../../engines/report/markdown';
import { writeRunFixture } from './fixtures';

const root = mkdtempSync(join(tmpdir(), 'autocode-report-md-'));
const runs = join(root, 'runs');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The table rows under a `### <set>` heading of a section, as arrays of cell texts. */
function rowsUnder(md: string, section: string, set: string): string[][] {
  const from = md.indexOf(`## ${section}`);
  const start = md.indexOf(`### ${set}\n`, from);
  expect(start, `### ${set} under ${section}`).toBeGreaterThan(-1);
  const lines = md.slice(start).split('\n').slice(2);
  const table = lines.slice(
    0,
    lines.findIndex((l) => !l.startsWith('|')),
  );
  return table.slice(2).map((l) =>
    l
      .slice(1, -1)
      .split(' | ')
      .map((c) => c.trim()),
  );
}

describe('renderMarkdown', () => {
  it('renders Table 1 per benchmark: Pass@1 per mode, auto code rate, gain over the best dictated mode', async () => {
    const md = renderMarkdown(await loadRunReport(writeRunFixture(runs, 'md-run')));
    expect(md).toContain('# Run md-run');
    expect(md).toContain('spec tiny');
    expect(md).toContain('| iteration | cot | code | auto | auto code rate | auto - best dictated |');
    expect(rowsUnder(md, 'Pass@1', 'gsm8k')).toEqual([
      ['0', '50.0', '60.0', '55.0', '40.0', '-5.0'],
      ['1', '55.0', '62.0', '61.0', '50.0', '-1.0'],
      ['2', '60.0', '64.0', '67.0', '60.0', '+3.0'],
    ]);
    expect(rowsUnder(md, 'Pass@1', 'tiny_world/add')).toEqual([
      ['0', '25.0', '100.0', '50.0', '50.0', '-50.0'],
      ['1', '25.0', '100.0', '75.0', '75.0', '-25.0'],
      ['2', '25.0', '100.0', '100.0', '100.0', '0.0'],
    ]);
  });

  it('renders Table 3 and the confusion of the last labelled iteration, only for labelled benchmarks', async () => {
    const md = renderMarkdown(await loadRunReport(writeRunFixture(runs, 'md-sel')));
    expect(md).toContain(
      '| iteration | n | mAcc | acc cot | acc code | acc within correct | correct | StrictAlign | AllowCode | MisAlign |',
    );
    expect(rowsUnder(md, 'Selection', 'gsm8k')).toEqual([
      ['0', '200', '70.0', '60.0', '80.0', '90.0', '110', '50.0', '20.0', '30.0'],
      ['1', '200', '75.0', '70.0', '75.0', '90.0', '111', '60.0', '20.0', '20.0'],
      ['2', '200', '80.0', '80.0', '70.0', '90.0', '112', '70.0', '20.0', '10.0'],
    ]);
    const selection = md.slice(md.indexOf('## Selection'));
    expect(selection).not.toContain('### tiny_world/add');
    expect(selection).toContain('Confusion at iteration 2');
    expect(selection).toContain('| cot | 52 | 10 |\n| code | 8 | 88 |\n| tie | 20 | 22 |');
  });

  it('renders the training figures: mean reward per mode (weighted over nodes), set sizes, loss, drift', async () => {
    const md = renderMarkdown(await loadRunReport(writeRunFixture(runs, 'md-train')));
    const train = md.slice(md.indexOf('## Training per iteration')).split('\n');
    const rows = train.filter((l) => /^\| \d/.test(l));
    expect(rows).toEqual([
      '| 1 | 25.0 | 62.5 | 37.5 | 120 | 60 | 40 | 20 | 1.5000 | 1.2e-6 | 4.0e-6 | 0.0 |',
      '| 2 | 50.0 | 75.0 | 37.5 | 220 | 120 | 80 | 20 | 0.7500 | 0.013 | 1.750 | 0.4 |',
    ]);
  });

  it('gives the same report from the node files alone (a run still going) as with report.json', async () => {
    const a = renderMarkdown(await loadRunReport(writeRunFixture(runs, 'same')));
    const b = renderMarkdown(
      await loadRunReport(writeRunFixture(join(root, 'other'), 'same', { summary: false })),
    );
    expect(b).toBe(a);
  });

  it('says "no selection labels" when the evaluation has none', () => {
    const md = renderMarkdown(
      reportFromMetrics({ id: 'e1', metrics: { 'math.cot.accuracy': 0.5, 'math.code.accuracy': 0.25 } }),
    );
    expect(md).toContain('No selection labels.');
    expect(md).toContain('| checkpoint | cot | code | auto |');
    expect(rowsUnder(md, 'Pass@1', 'math')).toEqual([['0', '50.0', '25.0', '-', '-', '-']]);
    expect(md).not.toContain('## Training');
  });

  it('prefers a recorded gain over the derived one, and marks regressions', () => {
    const md = renderMarkdown(
      reportFromMetrics({
        id: 'nightly',
        metrics: {
          'math.cot.accuracy': 0.5,
          'math.code.accuracy': 0.6,
          'math.auto.accuracy': 0.7,
          'math.auto.gain': 0.125,
          'math.selection.macc': 0.4,
        },
        regression: ['math.auto.accuracy', 'math.selection.macc'],
      }),
    );
    expect(rowsUnder(md, 'Pass@1', 'math')).toEqual([
      ['0', '50.0', '60.0', '**70.0 (regression)**', '-', '+12.5'],
    ]);
    expect(rowsUnder(md, 'Selection', 'math')[0]?.[2]).toBe('**40.0 (regression)**');
    expect(md).toContain(
      '## Regressions\n\n- checkpoint 0: `math.auto.accuracy`\n- checkpoint 0: `math.selection.macc`',
    );
  });
});

describe('finding a run', () => {
  it('names the runs that exist when the run is missing', async () => {
    writeRunFixture(join(root, 'few'), 'alpha');
    writeRunFixture(join(root, 'few'), 'beta');
    await expect(resolveRunDir('alpah', join(root, 'few'))).rejects.toThrow(
      /no run "alpah" under .*few; runs there: alpha, beta/,
    );
    await expect(resolveRunDir('x', join(root, 'none'))).rejects.toThrow(/no runs recorded there yet/);
  });

  it('finds a run by id (a workflow id with "/" too), by path, and an evaluation by id', async () => {
    const dir = writeRunFixture(join(root, 'ids'), 'a_b');
    expect(await resolveRunDir('a/b', join(root, 'ids'))).toBe(dir);
    expect(await resolveRunDir(dir, join(root, 'elsewhere'))).toBe(dir);
    const evals = join(root, 'evals');
    writeRunFixture(evals, 'nightly-1'); // not an evaluation: no result.json
    await expect(loadReport('nightly-1', { runs: join(root, 'ids'), evals })).rejects.toThrow(/no run/);
  });

  it('names the file and field of a malformed node record', async () => {
    const dir = writeRunFixture(join(root, 'bad'), 'r');
    writeFileSync(
      join(dir, 'iter-1', 'update.json'),
      JSON.stringify({ node_id: 'update', uses: 'x', output: 'y' }),
    );
    await expect(loadRunReport(dir)).rejects.toThrow(/iter-1\/update\.json: metrics:/);
  });
});
