// prepareRun for a Code4Math policy (`policy: { base, sft: { demonstrations } }`): question/response rows
// from a JSONL, a Parquet file (written by pyarrow) and a Hub dataset (through the real Hub code path,
// against the local stand-in) become demonstrations rendered with the run's templates; bad input fails
// naming the file and column with nothing written to the store.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refUri } from '../../engines/store';
import { describePolicy } from '../../pipelines/policy-source';
import { type FakeHub, startFakeHub } from '../hub/fake-hub';

const root = mkdtempSync(join(tmpdir(), 'autocode-c4m-'));
process.env.AUTOCODE_VAR = root;
process.env.AUTOCODE_STORE = join(root, 'store');
const { prepareRun } = await import('../../services/run/prepare');
const { readRows } = await import('../../engines/store/reader');
const { python } = await import('../store/python');
const { PATHS } = await import('../../infra/paths');

// A directory with a config.json is all prepareRun needs of a base checkpoint (the GPU worker loads it).
const base = join(root, 'base');
mkdirSync(base);
writeFileSync(join(base, 'config.json'), '{"model_type":"llama"}');

const DEMOS = [
  { question: 'What is 2 + 3?', response: 'We add: \\boxed{5}.', method: 'cot' },
  { question: 'What is 4 * 6?', response: '```python\nprint(4 * 6)\n```\n```output', method: 'code' },
  { question: 'Pick the larger of 7 and 9.', response: 'It is \\boxed{9}.', mode: 'native' },
  { question: 'What is 8 - 5?', response: '```python\nprint(8 - 5)\n```\n```output' },
];
// By hand, with tiny.yaml's templates (the defaults: base format, " " separator, the paper's hints):
// row 1 has method cot -> mode dictated_cot; row 2 method code -> dictated_code; row 3 mode native ->
// method from the response (no ```python: cot); row 4 neither -> native, method code (```python).
// Every prompt ends in "Assistant:", so each response gets the leading space the model generates.
const EXPECTED = [
  {
    query_id: 'code4math/0',
    mode: 'dictated_cot',
    method: 'cot',
    prompt: "User: What is 2 + 3? Let's reason step by step.\nAssistant:",
    response: ' We add: \\boxed{5}.',
  },
  {
    query_id: 'code4math/1',
    mode: 'dictated_code',
    method: 'code',
    prompt: "User: What is 4 * 6? Let's write a program.\nAssistant:",
    response: ' ```python\nprint(4 * 6)\n```\n```output',
  },
  {
    query_id: 'code4math/2',
    mode: 'native',
    method: 'cot',
    prompt: 'User: Pick the larger of 7 and 9.\nAssistant:',
    response: ' It is \\boxed{9}.',
  },
  {
    query_id: 'code4math/3',
    mode: 'native',
    method: 'code',
    prompt: 'User: What is 8 - 5?\nAssistant:',
    response: ' ```python\nprint(8 - 5)\n```\n```output',
  },
];

const jsonl = (rows: object[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
const files = join(root, 'files');
mkdirSync(files);
const demosJsonl = join(files, 'demos.jsonl');
writeFileSync(demosJsonl, jsonl(DEMOS));
const demosParquet = join(files, 'demos.parquet');
python(
  'import sys, json, pyarrow as pa, pyarrow.parquet as pq\nrows=[json.loads(l) for l in open(sys.argv[1])]\npq.write_table(pa.Table.from_pylist(rows), sys.argv[2])',
  [demosJsonl, demosParquet],
);

const policy = (demonstrations: unknown) => ({
  policy: { base, sft: { demonstrations, with: { max_steps: 5 } } },
  'queries.train': [{ tiny_world: { seed: 21, per_family: 2, split: 'train' } }],
  'queries.eval': [],
});
const storeEntries = () => {
  const kinds = readdirSync(join(root, 'store'), { withFileTypes: true }).filter((d) => d.isDirectory());
  return kinds.flatMap((k) => readdirSync(join(root, 'store', k.name)).map((e) => `${k.name}/${e}`)).sort();
};
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: { message: string; nonRetryable?: boolean }) => e,
  );

describe('prepareRun with a Code4Math policy', () => {
  let hub: FakeHub;
  beforeAll(async () => {
    hub = await startFakeHub({ token: 'hf_test' });
    process.env.HF_ENDPOINT = hub.url;
  });
  afterAll(async () => {
    await hub.close();
    delete process.env.HF_ENDPOINT;
    rmSync(root, { recursive: true, force: true });
  });

  it('renders a JSONL file through the run templates, keyed by its bytes only', async () => {
    const a = await prepareRun({ run_id: 'c1', spec: 'tiny', overrides: policy(demosJsonl) });
    expect(await readRows(a.demonstrations!)).toEqual(EXPECTED);
    expect(a.base).toEqual({
      checkpoint: { uri: refUri(base), key: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    // The same bytes elsewhere: the same entry, nothing new written.
    const before = storeEntries();
    const copy = join(files, 'copy.jsonl');
    copyFileSync(demosJsonl, copy);
    const b = await prepareRun({ run_id: 'c2', spec: 'tiny', overrides: policy(copy) });
    expect(b.demonstrations).toEqual(a.demonstrations);
    expect(storeEntries()).toEqual(before);
    // One byte more: another key.
    writeFileSync(copy, jsonl([...DEMOS.slice(0, 3), { ...DEMOS[3], response: `${DEMOS[3]!.response} ` }]));
    const c = await prepareRun({ run_id: 'c3', spec: 'tiny', overrides: policy(copy) });
    expect(c.demonstrations!.key).not.toBe(a.demonstrations!.key);
  });

  it('reads the same rows from Parquet', async () => {
    const p = await prepareRun({ run_id: 'c4', spec: 'tiny', overrides: policy(demosParquet) });
    expect(await readRows(p.demonstrations!)).toEqual(EXPECTED);
  });

  it('reads a Hub dataset through the Hub snapshot path', async () => {
    hub.createRepo('dataset', 'org/code4math', {
      'data/train.jsonl': jsonl(DEMOS.slice(0, 2)),
      'data/more.jsonl': jsonl(DEMOS.slice(2)),
      'README.md': '# demos',
    });
    const h = await prepareRun({
      run_id: 'c5',
      spec: 'tiny',
      overrides: policy({ hub: 'org/code4math', files: ['data/'] }),
    });
    // Files in path order: more.jsonl (rows 3, 4) before train.jsonl (rows 1, 2); ids count across files.
    const rows = await readRows(h.demonstrations!);
    expect(rows.map((r) => r.prompt)).toEqual([2, 3, 0, 1].map((i) => EXPECTED[i]!.prompt));
    expect(rows.map((r) => r.query_id)).toEqual([0, 1, 2, 3].map((i) => `code4math/${i}`));
  });

  it('a file without `question` or `response` fails naming it and the column, writing nothing', async () => {
    const before = storeEntries();
    const bad = join(files, 'no-response.jsonl');
    writeFileSync(bad, jsonl(DEMOS.map(({ question }) => ({ question, answer: '1' }))));
    const e = await failure(prepareRun({ run_id: 'c6', spec: 'tiny', overrides: policy(bad) }));
    expect(e.nonRetryable).toBe(true);
    expect(e.message).toBe(
      `policy.sft.demonstrations: ${bad}: no column "response" (columns: question, answer)`,
    );
    const badParquet = join(files, 'no-question.parquet');
    python(
      'import sys, pyarrow as pa, pyarrow.parquet as pq\npq.write_table(pa.Table.from_pylist([{"prompt": "q", "response": "r"}]), sys.argv[1])',
      [badParquet],
    );
    const f = await failure(
      prepareRun({
        run_id: 'c7',
        spec: 'tiny',
        // New query sets too: they must not be written either.
        overrides: { ...policy(badParquet), 'queries.train': [{ tiny_world: { seed: 22, per_family: 2 } }] },
      }),
    );
    expect(f.message).toContain(`${badParquet}: no column "question"`);
    expect(storeEntries()).toEqual(before);
    expect(readdirSync(PATHS.runs)).not.toContain('c7');
  });

  it('a missing file or base names the path', async () => {
    const missing = join(files, 'nope.jsonl');
    const e = await failure(prepareRun({ run_id: 'c8', spec: 'tiny', overrides: policy(missing) }));
    expect(e.message).toBe(`policy.sft.demonstrations: ${missing}: no such file`);
    const noBase = { ...policy(demosJsonl), 'policy.base': join(root, 'nobase') };
    const f = await failure(prepareRun({ run_id: 'c9', spec: 'tiny', overrides: noBase }));
    expect(f.message).toBe(`policy.base: ${join(root, 'nobase')}: no checkpoint there (no config.json)`);
  });

  it('the spec shape: a Hub base or a path, and the one-line description validate prints', async () => {
    const bad = await failure(
      prepareRun({
        run_id: 'c10',
        spec: 'tiny',
        overrides: { ...policy(demosJsonl), 'policy.base': 'a/b/c' },
      }),
    );
    expect(bad.message).toContain("policy.base: 'a/b/c' is neither a checkpoint path");
    expect(
      describePolicy({
        base: 'Qwen/Qwen2-Math-7B',
        revision: 'main',
        sft: { demonstrations: './sft.jsonl', with: { epochs: 3 } },
      }),
    ).toBe('policy: base Qwen/Qwen2-Math-7B@main (hub) -> SFT on ./sft.jsonl (3 epoch(s)) -> EM');
    expect(
      describePolicy({
        base: '/ckpt',
        sft: { demonstrations: { hub: 'o/d', revision: 'v1' }, with: { max_steps: 9 } },
      }),
    ).toBe('policy: base /ckpt (checkpoint) -> SFT on hub dataset o/d@v1 (9 steps max) -> EM');
  });
});
