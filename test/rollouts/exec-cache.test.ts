// The rollouts node's execution cache, through the kernel on a real store and sandbox: K samples
// that write the same program run it once, the node's metrics count it, the run's other nodes reuse
// it, another run does not, and `execution_cache: false` gives the same rows under the same key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeRequest } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';
import { type CompletionsServer, startCompletionsServer } from '../helpers/completions-server';
import { nodeRequestFor } from '../helpers/node-request';

const root = mkdtempSync(join(tmpdir(), 'autocode-exec-cache-'));
process.env.AUTOCODE_STORE = join(root, 'store');
process.env.AUTOCODE_SANDBOX_SIZE = '1';
const { runNode } = await import('../../nodes/kernel');
const { NODE_KINDS } = await import('../../nodes/registry');
const { contentKey } = await import('../../engines/store/canonical');
const { writeDataset } = await import('../../engines/store/writer');
const { readRows } = await import('../../engines/store/reader');
const { resolveUri } = await import('../../engines/store/locate');
const { closeSharedSandboxPool } = await import('../../engines/sandbox/shared');
const { clearExecutionCaches } = await import('../../engines/sandbox/cache');
const { RolloutsParams } = await import('../../schemas/nodes');

const SUMS: Record<string, [number, number]> = { 'What is 40 + 2?': [40, 2], 'What is 30 + 5?': [30, 5] };

/** Samples 0-2 write the same program, sample 3 the same sum after reading the clock. */
function script({ prompt, index }: { prompt: string; index: number }): string {
  if (prompt.includes('```output')) return ' The answer is \\boxed{0}.';
  const q = Object.keys(SUMS).find((k) => prompt.includes(k)) as string;
  const [a, b] = SUMS[q] as [number, number];
  const program = index === 3 ? `import time\nprint(${a} + ${b})` : `print(${a} + ${b})`;
  return `\`\`\`python\n${program}\n\`\`\`\n\`\`\`output`;
}

let server: CompletionsServer;
let queries: DatasetRef;

beforeAll(async () => {
  clearExecutionCaches();
  server = await startCompletionsServer({ script });
  queries = await writeDataset(
    { kind: 'queries', key: 'a'.repeat(64), producer: { activity: 'test', version: '1' }, params: {} },
    Object.keys(SUMS).map((question, i) => ({
      query_id: `q${i}`,
      source: 'test/add',
      question,
      answer: '0',
      split: 'train',
      meta: null,
    })),
  );
});

afterAll(async () => {
  await server?.close();
  await closeSharedSandboxPool();
  clearExecutionCaches();
  rmSync(root, { recursive: true, force: true });
});

function request(runId: string, nodeId: string, with_: Record<string, unknown> = {}) {
  const params = RolloutsParams.parse({ modes: ['dictated_code'], samples: 4, max_tokens: 64, ...with_ });
  const req = nodeRequestFor('rollouts', params, {}, { train: queries });
  return {
    ...req,
    run_id: runId,
    node_id: nodeId,
    inference: {
      ...req.inference,
      urls: [server.url],
      model: 'scripted',
      timeout_ms: 10_000,
      concurrency: 8,
    },
  } as NodeRequest<typeof params>;
}

const keyOf = (req: NodeRequest) => {
  const kind = NODE_KINDS.rollouts;
  return contentKey({ producer: kind.producer, ...kind.identity(req as never) });
};

describe('rollouts node: execution cache', { timeout: 120_000 }, () => {
  it('runs each program once per run and reports hits, misses, uncacheable and the seconds saved', async () => {
    const first = await runNode(NODE_KINDS.rollouts, request('run-1', 'rollouts_code'));
    // 2 queries x 4 samples: per query one run of the shared program (3 samples), one clock reader.
    expect(first.metrics).toMatchObject({
      'exec_cache.executions': 8,
      'exec_cache.misses': 2,
      'exec_cache.hits': 4,
      'exec_cache.uncacheable': 2,
      'exec_cache.not_stored': 0,
      'exec_cache.hit_rate': 0.5,
    });
    expect(first.metrics['exec_cache.saved_s']).toBeGreaterThan(0);
    expect(first.metrics['exec_cache.sandbox_s']).toBeGreaterThan(0);
    const rows = await readRows(first.dataset as DatasetRef);
    expect(
      rows.every(
        (r) =>
          String(r.response_text).includes('```output\n42\n```') ||
          String(r.response_text).includes('```output\n35\n```'),
      ),
    ).toBe(true);

    // Another node of the same run (another key: its seed) finds every cacheable program kept.
    const sibling = await runNode(
      NODE_KINDS.rollouts,
      request('run-1', 'rollouts_native', { modes: ['native'] }),
    );
    expect(sibling.cached).toBe(false);
    expect(sibling.metrics).toMatchObject({
      'exec_cache.hits': 6,
      'exec_cache.misses': 0,
      'exec_cache.uncacheable': 2,
    });

    // Another run shares nothing.
    const other = await runNode(
      NODE_KINDS.rollouts,
      request('run-2', 'rollouts_native', { modes: ['native'], seed: 7 }),
    );
    expect(other.metrics).toMatchObject({ 'exec_cache.hits': 4, 'exec_cache.misses': 2 });
  });

  it('execution_cache: false runs every program and writes the same rows under the same key', async () => {
    const on = request('run-3', 'rollouts_code', { seed: 11 });
    const off = request('run-4', 'rollouts_code', { seed: 11, execution_cache: false });
    expect(keyOf(off)).toBe(keyOf(on));
    const cachedRun = await runNode(NODE_KINDS.rollouts, on);
    expect(cachedRun.metrics['exec_cache.hits']).toBe(4);
    const cachedRows = await readRows(cachedRun.dataset as DatasetRef);
    rmSync(resolveUri((cachedRun.dataset as DatasetRef).uri), { recursive: true, force: true });

    const plain = await runNode(NODE_KINDS.rollouts, off);
    expect(plain.cached).toBe(false);
    expect(plain.dataset?.key).toBe(cachedRun.dataset?.key);
    expect(plain.metrics['exec_cache.executions']).toBe(8);
    expect(plain.metrics['exec_cache.hits']).toBeUndefined();
    const plainRows = await readRows(plain.dataset as DatasetRef);
    const view = (rs: typeof plainRows) =>
      rs.map((r) => [r.query_id, r.sample, r.response_text, r.response_token_ids, r.loss_mask, r.reward]);
    expect(view(plainRows)).toEqual(view(cachedRows));
  });
});
