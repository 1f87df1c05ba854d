// A store root that goes away under a running iteration: the node that opens a store ref fails with
// StoreUnavailable, which Temporal retries under the product's own retry policy (workflows/common.ts);
// once the root is back the retry succeeds and the iteration finishes, with no finished node redone.
// Real dev server, real workflow bundle, the product worker's failure interceptor; the node activities
// are the workflow tests' scripted mocks, one of which reads a real store entry.
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../../pipelines/load';
import { TASK_QUEUES } from '../../schemas/queues';
import type { PolicyRef } from '../../schemas/run';
import type { IterationInput, iteration } from '../../workflows/iteration';
import { EVAL, endpoints, type Harness, sleep, startHarness, TRAIN } from '../workflows/harness';

const base = mkdtempSync(join(tmpdir(), 'autocode-retry-'));
const root = join(base, 'store');
process.env.AUTOCODE_STORE = root;
const { readRows, writeDataset } = await import('../../engines/store');
const { keyFor, PRODUCER, rng, rolloutRow } = await import('./fixtures');

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
  rmSync(base, { recursive: true, force: true });
});

describe('a store root missing on the worker host', { timeout: 180_000 }, () => {
  it('is retried by Temporal as StoreUnavailable and the iteration finishes once it is back', async () => {
    const r = rng(7);
    const rows = Array.from({ length: 12 }, (_, i) => rolloutRow(r, i));
    const ref = await writeDataset(
      { kind: 'rollouts', key: keyFor({ retry: 1 }), producer: PRODUCER, params: {} },
      rows,
    );
    let read = 0;
    h.mocks.on('estimate', async (_, next) => {
      read = (await readRows(ref, { columns: ['query_id'] })).length;
      return next();
    });
    renameSync(root, `${root}.away`); // the mount is gone
    const nodes = loadSpec('tiny').iteration.nodes;
    const policy: PolicyRef = { uri: 'store:checkpoints/start', key: 'start' };
    const input: IterationInput = {
      run_id: 'retry-1',
      iteration: 1,
      seed: 0,
      nodes,
      policy,
      inference: endpoints(['http://127.0.0.1:18081'], 'start'),
      serve: { embedded: { port: 0 } },
      train: TRAIN,
      eval: EVAL,
    };
    const handle = await h.client.workflow.start<typeof iteration>('iteration', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: 'retry-1/iter-1',
      args: [input],
    });
    // Wait for the failed attempt to show on the pending activity, as the Web UI shows it.
    let pending:
      | {
          attempt?: number | null;
          lastFailure?: {
            message?: string | null;
            applicationFailureInfo?: { type?: string | null; nonRetryable?: boolean | null } | null;
          } | null;
        }
      | undefined;
    for (let i = 0; i < 300 && !pending?.lastFailure; i++) {
      await sleep(100);
      pending = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityId === 'estimate');
    }
    expect(pending?.lastFailure?.applicationFailureInfo?.type).toBe('StoreUnavailable');
    expect(pending?.lastFailure?.applicationFailureInfo?.nonRetryable ?? false).toBe(false);
    expect(pending?.lastFailure?.message).toContain(`host ${hostname()}: store root ${root} is unavailable`);
    expect(pending?.lastFailure?.message).toContain(ref.uri);
    renameSync(`${root}.away`, root); // mounted again

    await handle.result();
    expect(read).toBe(12);
    const estimateStarts = h.mocks.nodeEvents('start').filter((e) => e.node === 'estimate');
    expect(estimateStarts.length).toBeGreaterThanOrEqual(2);
    // Nothing finished was redone: every other node ran once.
    for (const node of nodes.filter((n) => n.id !== 'estimate'))
      expect(
        h.mocks.nodeEvents('start').filter((e) => e.node === node.id),
        node.id,
      ).toHaveLength(1);
  });
});
