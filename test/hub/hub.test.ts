import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchmarksDir, loadBenchmark } from '../../datasets/load';
import { pullSnapshot, pushEntry, SOURCE_MANIFEST } from '../../engines/hub/hub';
import { contentKey, readRows, resolveUri, verify, writeDataset } from '../../engines/store';
import { tempStore } from '../store/fixtures';
import { python } from '../store/python';
import { type FakeHub, startFakeHub } from './fake-hub';

const TOKEN = 'hf_test_token_0123456789';
const store = tempStore();
let hub: FakeHub;
beforeAll(async () => {
  // Small LFS threshold and page size so LFS uploads and paginated listings are exercised.
  hub = await startFakeHub({ token: TOKEN, lfsThreshold: 2048, pageSize: 2 });
});
afterAll(async () => {
  await hub.close();
  store.cleanup();
});

const weights = Buffer.alloc(10_000, 7);
const MODEL_FILES = {
  'config.json': '{"model_type":"llama","hidden_size":128}',
  'model.safetensors': weights,
  'tokenizer/tokenizer.json': '{"version":"1.0"}',
  'README.md': '# tiny',
};

describe('Hub pull and push through @huggingface/hub against a local Hub', () => {
  it('pulls a model snapshot into the store; an unchanged snapshot is a cache hit', async () => {
    hub.createRepo('model', 'org/tiny', MODEL_FILES);
    const access = { hubUrl: hub.url, accessToken: TOKEN, root: store.root };
    const ref = await pullSnapshot({ repo: 'org/tiny', type: 'model', ...access });
    expect(ref.kind).toBe('checkpoints');
    expect(await verify(ref)).toEqual(ref);
    for (const [path, content] of Object.entries(MODEL_FILES)) {
      expect(readFileSync(join(resolveUri(ref.uri), path)).equals(Buffer.from(content)), path).toBe(true);
    }
    const resolvesBefore = hub.calls.filter((c) => c.includes('/resolve/')).length;
    expect(resolvesBefore).toBeGreaterThanOrEqual(4);
    expect(hub.calls.filter((c) => c.includes('/tree/')).length).toBe(2); // 4 files, pages of 2
    const again = await pullSnapshot({ repo: 'org/tiny', type: 'model', ...access });
    expect(again).toEqual(ref);
    expect(hub.calls.filter((c) => c.includes('/resolve/')).length).toBe(resolvesBefore);
    const only = await pullSnapshot({
      repo: 'org/tiny',
      type: 'model',
      include: ['config.json', 'tokenizer/'],
      ...access,
    });
    expect(only.key).not.toBe(ref.key);
    const manifest = JSON.parse(readFileSync(join(resolveUri(only.uri), '_manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual([
      'config.json',
      'tokenizer/tokenizer.json',
    ]);
  });

  it('pushes a store entry (parquet via LFS), and pulls it back byte for byte', async () => {
    hub.createRepo('dataset', 'org/rollouts');
    const rows = (await loadBenchmark('amc23', 'test')).rows;
    const params = { bench: 'amc23' };
    const ref = await writeDataset(
      {
        kind: 'queries',
        key: contentKey({ producer: { activity: 't', version: '1' }, params }),
        producer: { activity: 't', version: '1' },
        params,
        root: store.root,
      },
      rows,
    );
    const pushed = await pushEntry({
      entry: ref,
      repo: 'org/rollouts',
      type: 'dataset',
      hubUrl: hub.url,
      accessToken: TOKEN,
      pathInRepo: 'amc23',
    });
    expect(pushed.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(pushed.files).toBe(2);
    expect(hub.calls).toContain('POST /datasets/org/rollouts.git/info/lfs/objects/batch');
    expect(hub.calls.some((c) => c.startsWith('PUT /lfs-upload/'))).toBe(true);
    const remote = hub.files('dataset', 'org/rollouts');
    expect(
      remote
        .get('amc23/part-00000.parquet')
        ?.equals(readFileSync(join(resolveUri(ref.uri), 'part-00000.parquet'))),
    ).toBe(true);
    expect(remote.get('amc23/_manifest.json')?.toString()).toBe(
      readFileSync(join(resolveUri(ref.uri), '_manifest.json'), 'utf8'),
    );

    const snap = await pullSnapshot({
      repo: 'org/rollouts',
      type: 'dataset',
      hubUrl: hub.url,
      root: store.root,
    });
    expect(snap.kind).toBe('snapshots');
    expect(
      readFileSync(join(resolveUri(snap.uri), 'amc23', 'part-00000.parquet')).equals(
        readFileSync(join(resolveUri(ref.uri), 'part-00000.parquet')),
      ),
    ).toBe(true);
    // The pushed entry, rooted at the repo folder, is a readable store entry again.
    await pushEntry({
      entry: ref,
      repo: 'org/rollouts',
      type: 'dataset',
      hubUrl: hub.url,
      accessToken: TOKEN,
    });
    const rootSnap = await pullSnapshot({
      repo: 'org/rollouts',
      type: 'dataset',
      hubUrl: hub.url,
      root: store.root,
      include: ['part-', '_manifest.json'],
    });
    expect(readFileSync(join(resolveUri(rootSnap.uri), SOURCE_MANIFEST), 'utf8')).toBe(
      readFileSync(join(resolveUri(ref.uri), '_manifest.json'), 'utf8'),
    );
    expect(await readRows(ref)).toEqual(rows);
  });

  it('loads benchmarks from the Hub (JSONL and Parquet files) the same as from disk', async () => {
    hub.createRepo('dataset', 'HuggingFaceH4/MATH-500', {
      'test.jsonl': readFileSync(join(benchmarksDir(), 'math500/test.jsonl')),
    });
    const parquet = join(store.root, 'gsm8k-test.parquet');
    python(
      'import sys, json, pyarrow as pa, pyarrow.parquet as pq\nrows=[json.loads(l) for l in open(sys.argv[1])]\npq.write_table(pa.Table.from_pylist(rows), sys.argv[2])',
      [join(benchmarksDir(), 'gsm8k/test.jsonl'), parquet],
    );
    hub.createRepo('dataset', 'openai/gsm8k', { 'main/test-00000-of-00001.parquet': readFileSync(parquet) });
    for (const name of ['math500', 'gsm8k']) {
      const local = await loadBenchmark(name, 'test');
      const remote = await loadBenchmark(name, 'test', { source: 'hub', hubUrl: hub.url });
      expect(remote.rows, name).toEqual(local.rows);
      expect(remote.origin).toMatch(/^hub:datasets\//);
    }
    await expect(loadBenchmark('svamp', 'test', { source: 'hub', hubUrl: hub.url })).rejects.toMatchObject({
      type: 'UnknownBenchmark',
      message: expect.stringContaining('svamp/test has no Hub source'),
    });
  });

  it('client errors are non-retryable and name the repo', async () => {
    await expect(
      pullSnapshot({ repo: 'org/missing', type: 'model', hubUrl: hub.url, root: store.root }),
    ).rejects.toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
      message: expect.stringMatching(/pull model org\/missing@main: Hub answered 404/),
    });
    const params = { x: 1 };
    const ref = await writeDataset(
      {
        kind: 'queries',
        key: contentKey({ producer: { activity: 't', version: '1' }, params }),
        producer: { activity: 't', version: '1' },
        params,
        root: store.root,
      },
      [],
    );
    await expect(
      pushEntry({ entry: ref, repo: 'org/tiny', type: 'model', hubUrl: hub.url, accessToken: 'hf_wrong' }),
    ).rejects.toMatchObject({ nonRetryable: true, message: expect.stringContaining('Hub answered 401') });
    await expect(
      pushEntry({ entry: ref, repo: 'org/tiny', type: 'model', hubUrl: hub.url, accessToken: '' }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('no token'),
    });
  });
});
