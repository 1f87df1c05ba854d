// The report emRun writes at its end (the writeRunReport activity), called directly with var/ in a
// temp directory: the same renderers as `autocode report`, and a report even when a node record is bad.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evalMetrics, ITERATIONS, writeRunFixture } from './fixtures';

// Before infra/paths is first imported: it reads AUTOCODE_VAR once.
const varDir = mkdtempSync(join(tmpdir(), 'autocode-report-record-'));
const before = process.env.AUTOCODE_VAR;
process.env.AUTOCODE_VAR = varDir;
const { writeRunReport } = await import('../../services/run/record');
const { loadRunReport } = await import('../../engines/report/load');
const { renderMarkdown } = await import('../../engines/report/markdown');
afterAll(() => {
  if (before === undefined) delete process.env.AUTOCODE_VAR;
  else process.env.AUTOCODE_VAR = before;
  rmSync(varDir, { recursive: true, force: true });
});

const summaries = ITERATIONS.map((k) => ({
  iteration: k,
  policy: `p${k}`,
  metrics: evalMetrics(k),
  nodes: {},
}));

describe('writeRunReport', () => {
  it('writes report.json, then report.md and report.html from the run directory', async () => {
    const dir = writeRunFixture(join(varDir, 'runs'), 'rec', { summary: false });
    const md = await writeRunReport({ run_id: 'rec', spec_name: 'tiny', iterations: summaries });
    expect(md).toBe(join(dir, 'report.md'));
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).iterations).toHaveLength(3);
    const text = readFileSync(md, 'utf8');
    expect(text).toBe(renderMarkdown(await loadRunReport(dir)));
    expect(text).toContain('## Training per iteration');
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('id="chart-reward"');
  });

  it('still reports the evaluation when a node record cannot be read, and says why', async () => {
    const dir = writeRunFixture(join(varDir, 'runs'), 'rec-bad', { summary: false });
    writeFileSync(join(dir, 'iter-2', 'synthesize.json'), '{ not json');
    await writeRunReport({ run_id: 'rec-bad', spec_name: 'tiny', iterations: summaries });
    const text = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(text).toMatch(/training figures left out: .*iter-2\/synthesize\.json: not readable as JSON/);
    expect(text).toContain('| 2 | 60.0 | 64.0 | 67.0 | 60.0 | +3.0 |');
    expect(text).not.toContain('## Training per iteration');
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  });
});
