// `autocode report` as a user runs it: a separate process with AUTOCODE_VAR pointing at a var/ of its
// own, the command registered on a commander program as cli/main.ts does.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, TOOLS } from '../../infra/paths';
import { writeRunFixture } from './fixtures';

const varDir = mkdtempSync(join(tmpdir(), 'autocode-report-cli-'));
afterAll(() => rmSync(varDir, { recursive: true, force: true }));

const MAIN = `
import { Command } from 'commander';
import { register } from ${JSON.stringify(pathToFileURL(join(ROOT, 'cli/commands/report.ts')).href)};
const program = new Command('autocode');
register(program);
program.parseAsync(process.argv.slice(1), { from: 'user' }).catch((err) => {
  console.error('autocode: ' + err.message);
  process.exitCode = 1;
});
`;

function autocode(...args: string[]) {
  return spawnSync(
    process.execPath,
    ['--import', TOOLS.tsxLoader, '--input-type=module', '-e', MAIN, '--', ...args],
    {
      env: { ...process.env, AUTOCODE_VAR: varDir },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
}

describe('autocode report <run>', { timeout: 90_000 }, () => {
  it('writes the report of a run under $AUTOCODE_VAR/runs and prints its paths', () => {
    const dir = writeRunFixture(join(varDir, 'runs'), 'cli-run');
    const out = autocode('report', 'cli-run', '--open-path');
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout.trim().split('\n')).toEqual([
      `markdown: ${join(dir, 'report.md')}`,
      `html: ${join(dir, 'report.html')}`,
      `open: ${pathToFileURL(join(dir, 'report.html')).href}`,
    ]);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  });

  it('fails on a missing run, listing the runs that exist', () => {
    const out = autocode('report', 'cli-rnu');
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(
      `autocode: no run "cli-rnu" under ${join(varDir, 'runs')}; runs there: cli-run`,
    );
  });
});
