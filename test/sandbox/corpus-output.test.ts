// The bench corpus (bench/sandbox/corpus.ts) gives, field for field, the results the sandbox gave
// before the warm-child rework (fixtures/corpus-outputs.json, recorded with the previous zygote):
// stdout byte for byte, the error line, the timeout and truncation flags.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus } from '../../bench/sandbox/corpus';
import { SandboxPool } from '../../engines/sandbox/index';

interface Expected {
  stdout: string;
  error: string | null;
  timed_out: boolean;
  truncated: boolean;
}

const EXPECTED = JSON.parse(
  readFileSync(new URL('./fixtures/corpus-outputs.json', import.meta.url), 'utf8'),
) as Expected[];

describe('the bench corpus', () => {
  let pool: SandboxPool;
  beforeAll(async () => {
    pool = await SandboxPool.start({ size: 2, timeoutMs: 2000 });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('prints exactly what it printed before, on every snippet', async () => {
    const snippets = corpus();
    expect(EXPECTED).toHaveLength(snippets.length);
    const results = await Promise.all(snippets.map((s) => pool.run(s.code)));
    const got = results.map(({ stdout, error, timed_out, truncated }) => ({
      stdout,
      error,
      timed_out,
      truncated,
    }));
    for (let i = 0; i < snippets.length; i++) expect({ i, ...got[i] }).toEqual({ i, ...EXPECTED[i] });
  });
});
