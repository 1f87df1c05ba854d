import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyWorldDemonstrations, tinyWorldQueries } from '../../datasets/tiny-world/generate';

// prepareRun reads the store and runs roots from the environment at import.
const root = mkdtempSync(join(tmpdir(), 'autocode-prepare-'));
process.env.AUTOCODE_VAR = root;
process.env.AUTOCODE_STORE = join(root, 'store');
const { prepareRun } = await import('../../services/run/prepare');
const { readRows } = await import('../../engines/store/reader');

const overrides = {
  'queries.train': [{ tiny_world: { seed: 11, per_family: 5, split: 'train' } }],
  'queries.eval': [{ tiny_world: { seed: 12, per_family: 3, split: 'test' } }],
  'policy.bootstrap.demonstrations': { tiny_world: { seed: 13, per_family: 20, split: 'train' } },
};

describe('prepareRun on the tiny world', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes the query sets the generator makes now, and reuses them for the same input', async () => {
    const a = await prepareRun({ run_id: 'p1', spec: 'tiny', overrides });
    const train = await readRows(a.train, { columns: ['query_id', 'question', 'answer'] });
    const expected = tinyWorldQueries({ seed: 11, per_family: 5, split: 'train' });
    expect(train).toEqual(expected.map(({ query_id, question, answer }) => ({ query_id, question, answer })));
    const b = await prepareRun({ run_id: 'p2', spec: 'tiny', overrides });
    expect(b.train).toEqual(a.train);
    const other = await prepareRun({
      run_id: 'p3',
      spec: 'tiny',
      overrides: {
        ...overrides,
        'queries.train': [{ tiny_world: { seed: 11, per_family: 6, split: 'train' } }],
      },
    });
    expect(other.train.key).not.toBe(a.train.key);
  });

  it('lays out reflective demonstrations as synthesize does: the attempt in the prompt, hint and solution trained', async () => {
    const prepared = await prepareRun({ run_id: 'p4', spec: 'tiny', overrides });
    const rows = (await readRows(prepared.demonstrations!)) as {
      query_id: string;
      prompt: string;
      response: string;
    }[];
    const demos = tinyWorldDemonstrations({ seed: 13, per_family: 20 });
    expect(rows).toHaveLength(demos.length);
    for (const [i, d] of demos.entries()) {
      const row = rows[i]!;
      expect(row.query_id).toBe(d.query_id);
      expect(row.prompt.endsWith(d.attempt === null ? 'Assistant:' : `Assistant: ${d.attempt}\n`)).toBe(true);
      expect(row.response).toBe(d.attempt === null ? ` ${d.response_text}` : d.response_text);
    }
    expect(rows.some((r) => r.response.startsWith('Sorry'))).toBe(true);
  });
});
