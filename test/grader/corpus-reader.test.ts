// readCorpus: the optional note (real-outputs.jsonl), blank lines, and a bad line named by file and line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCorpus } from './corpus';

const dir = mkdtempSync(join(tmpdir(), 'autocode-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(lines: string[]): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const base = { id: 'a-1', class: 'no_box', source: 'gsm8k', gold: '18' };

describe('readCorpus', () => {
  it('reads pred and response cases with an optional note, skipping blank lines', () => {
    const path = file([
      JSON.stringify({ ...base, response: 'So $18$.', equal: true, note: 'inline math at the end' }),
      '',
      JSON.stringify({ ...base, id: 'a-2', pred: '20', equal: false }),
    ]);
    expect(readCorpus(path)).toEqual([
      { ...base, response: 'So $18$.', equal: true, note: 'inline math at the end' },
      { ...base, id: 'a-2', pred: '20', equal: false },
    ]);
  });

  it('names the file, the line and the problem', () => {
    const ok = JSON.stringify({ ...base, pred: '18', equal: true });
    const bad = (line: string) => () => readCorpus(file([ok, line]));
    expect(bad(JSON.stringify({ ...base, pred: '18', equal: true, nots: 'x' }))).toThrow(
      /c\w+\.jsonl:2: unknown field "nots"/,
    );
    expect(bad(JSON.stringify({ ...base, pred: '18', equal: true, note: 3 }))).toThrow(
      /:2: "note" must be a string when present/,
    );
    expect(bad(JSON.stringify({ ...base, equal: true }))).toThrow(
      /:2: give exactly one of "pred" and "response"/,
    );
    expect(bad(JSON.stringify({ ...base, pred: '18', equal: 'yes' }))).toThrow(
      /:2: "equal" must be true or false/,
    );
    expect(bad('{')).toThrow(/:2: not JSON/);
  });
});
