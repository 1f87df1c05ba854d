// The node kernel and the registry: one path (key -> lookup -> produce -> write -> result) for every
// cpu kind, exercised with the real `estimate` kind on a real store, and the registry read as the one
// list of kinds by the validator, the worker and the Python side.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { NodeRequest } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';
import { nodeRequestFor } from '../helpers/node-request';
import { rng, rolloutRow } from '../store/fixtures';

// The store root is read from the environment at import.
const root = mkdtempSync(join(tmpdir(), 'autocode-kernel-'));
process.env.AUTOCODE_STORE = join(root, 'store');
const { runNode } = await import('../../nodes/kernel');
const { NODE_KINDS } = await import('../../nodes/registry');
const { nodeActivities } = await import('../../nodes/activities');
const { defineNode } = await import('../../nodes/define');
const { NonRetryableError } = await import('../../engines/errors');
const { writeDataset } = await import('../../engines/store/writer');
const { readRows } = await import('../../engines/store/reader');
const { contentKey } = await import('../../engines/store/canonical');
const { datasetsOf, readAll } = await import('../../nodes/inputs');
const { nodeResult } = await import('../../schemas/node-result');
const { ROOT } = await import('../../infra/paths');
const { LIVENESS } = await import('../../schemas/queues');

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function rolloutsDataset(): Promise<DatasetRef> {
  // Two queries: code wins on q1, prose on q2 (native rollouts give the prior).
  const r = rng(1);
  const cases = [
    ['q1', 'dictated_code', 'code', 1],
    ['q1', 'dictated_cot', 'cot', 0],
    ['q1', 'native', 'code', 1],
    ['q2', 'dictated_code', 'code', 0],
    ['q2', 'dictated_cot', 'cot', 1],
    ['q2', 'native', 'cot', 1],
  ] as const;
  const rows = cases.map(([query_id, mode, method, reward], i) => ({
    ...rolloutRow(r, i),
    query_id,
    mode,
    sample: 0,
    method,
    reward,
  }));
  return writeDataset(
    { kind: 'rollouts', key: 'c'.repeat(64), producer: { activity: 'test', version: '1' }, params: {} },
    rows,
  );
}

/** The result of a `rollouts` node as another node's input. */
const rolloutsInput = (dataset: DatasetRef | null) => ({
  rollouts: nodeResult({ node_id: 'rollouts', uses: 'rollouts' }, 'rollouts', { dataset }),
});

const request = <P>(uses: string, params: P, inputs: NodeRequest['inputs'], seed = 0) =>
  nodeRequestFor(uses, params, inputs, { seed });

describe('node kernel', () => {
  it('writes on a miss, finds the same output at its key on a repeat, and keys by parameters and seed', async () => {
    const source = await rolloutsDataset();
    const inputs = rolloutsInput(source);
    const params = NODE_KINDS.estimate.params.parse({});
    const first = await runNode(NODE_KINDS.estimate, request('estimate', params, inputs));
    expect(first.cached).toBe(false);
    expect(first.output).toBe('estimates');
    expect(first.metrics).toMatchObject({ queries: 2, decision_code: 1, decision_cot: 1 });
    const decisions = (await readRows(first.dataset!)).map((r) => [r.query_id, r.decision]);
    expect(decisions).toEqual([
      ['q1', 'code'],
      ['q2', 'cot'],
    ]);

    const again = await runNode(NODE_KINDS.estimate, request('estimate', params, inputs));
    expect(again.cached).toBe(true);
    expect(again.dataset).toEqual(first.dataset);
    // What only a run knows (its decisions tally) is not claimed for a cached result.
    expect(again.metrics).toEqual({ queries: 2 });

    const other = await runNode(NODE_KINDS.estimate, request('estimate', { ...params, alpha: 1 }, inputs));
    expect(other.cached).toBe(false);
    expect(other.dataset?.key).not.toBe(first.dataset?.key);
    const reseeded = await runNode(NODE_KINDS.estimate, request('estimate', params, inputs, 7));
    expect(reseeded.dataset?.key).not.toBe(first.dataset?.key);
  });

  it("runs the README's worked example of a new kind: one module, nothing else", async () => {
    const keepMode = defineNode({
      uses: 'keep_mode',
      queue: 'cpu',
      output: 'rollouts',
      dataset: 'rollouts',
      inputs: { rollouts: [1, 1] },
      params: z.strictObject({ mode: z.enum(['dictated_cot', 'dictated_code', 'native']) }),
      producer: { activity: 'keep_mode', version: '1' },
      description: 'the rollouts of one mode',
      identity: (req) => ({ params: req.params, inputs: { rollouts: datasetsOf(req, 'rollouts')[0]! } }),
      produce: async ({ req }) => ({
        rows: (await readAll(datasetsOf(req, 'rollouts'))).filter((r) => r.mode === req.params.mode),
      }),
    });
    const source = await rolloutsDataset();
    const inputs = rolloutsInput(source);
    const out = await runNode(keepMode, request('keep_mode', { mode: 'native' as const }, inputs));
    expect(out).toMatchObject({ output: 'rollouts', cached: false, metrics: { rows: 2 } });
    expect((await readRows(out.dataset!)).map((r) => r.mode)).toEqual(['native', 'native']);
    const again = await runNode(keepMode, request('keep_mode', { mode: 'native' as const }, inputs));
    expect(again).toMatchObject({ cached: true, dataset: out.dataset });
  });

  it("keys downstream outputs by their inputs' keys, so a redone input with other bytes changes nothing after it", async () => {
    const source = await rolloutsDataset();
    const redone = { ...source, sha256: 'f'.repeat(64) }; // same rows re-sampled: other bytes, same key
    const keyOf = (ref: DatasetRef) => {
      const req = request('estimate', NODE_KINDS.estimate.params.parse({}), rolloutsInput(ref));
      return contentKey({ producer: NODE_KINDS.estimate.producer, ...NODE_KINDS.estimate.identity(req) });
    };
    expect(keyOf(redone)).toBe(keyOf(source));
    expect(keyOf({ ...source, key: 'a'.repeat(64) })).not.toBe(keyOf(source));
    const first = await runNode(
      NODE_KINDS.estimate,
      request('estimate', NODE_KINDS.estimate.params.parse({}), rolloutsInput(source)),
    );
    expect(first.dataset?.key).toBe(keyOf(source));
  });

  it('turns an engine error into a non-retryable failure of its type, writing nothing', async () => {
    const broken = defineNode({
      uses: 'broken',
      queue: 'cpu',
      output: 'estimates',
      dataset: 'estimates',
      inputs: {},
      params: z.object({}),
      producer: { activity: 'broken', version: '1' },
      description: 'fails',
      identity: () => ({ params: {}, inputs: {} }),
      produce: async () => {
        throw new NonRetryableError('SchemaMismatch', 'column reward: expected int');
      },
    });
    const err = await runNode(broken, request('broken', {}, {})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({
      type: 'SchemaMismatch',
      nonRetryable: true,
      message: 'column reward: expected int',
    });
  });

  it('fails non-retryably naming the node when a needed input has no dataset', async () => {
    const inputs = rolloutsInput(null);
    const err = await runNode(
      NODE_KINDS.estimate,
      request('estimate', NODE_KINDS.estimate.params.parse({}), inputs),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'NodeInputError', nonRetryable: true });
    expect((err as Error).message).toContain('estimate: input rollouts (rollouts) has no dataset');
  });
});

describe('node registry', () => {
  it('names each kind by its `uses`; the cpu worker registers exactly the cpu kinds', () => {
    for (const [name, kind] of Object.entries(NODE_KINDS)) expect(kind.uses).toBe(name);
    const cpu = Object.values(NODE_KINDS)
      .filter((k) => k.queue === 'cpu')
      .map((k) => k.uses)
      .sort();
    expect(Object.keys(nodeActivities()).sort()).toEqual(cpu);
    expect(cpu).toEqual(['estimate', 'evaluate', 'rollouts', 'synthesize']);
  });

  it('declares the gpu kinds the Python worker runs, with the producer versions it writes', () => {
    const nodesPy = readFileSync(join(ROOT, 'gpu/src/autocode_gpu/nodes.py'), 'utf8');
    const versions: Record<string, string> = {
      behavior_logprobs: /^VERSION = "(\d+)"/m.exec(
        readFileSync(join(ROOT, 'gpu/src/autocode_gpu/behavior.py'), 'utf8'),
      )![1]!,
      policy_update: /^VERSION = "(\d+)"/m.exec(
        readFileSync(join(ROOT, 'gpu/src/autocode_gpu/policy.py'), 'utf8'),
      )![1]!,
    };
    const gpu = Object.values(NODE_KINDS).filter((k) => k.queue === 'gpu');
    expect(gpu.map((k) => k.uses).sort()).toEqual(Object.keys(versions).sort());
    for (const k of gpu) {
      expect(nodesPy, k.uses).toContain(`"${k.uses}"`);
      expect(k.producer).toEqual({ activity: k.uses, version: versions[k.uses] });
    }
  });

  it('has both workers heartbeat at one liveness interval, well inside the heartbeat timeout', () => {
    const py = readFileSync(join(ROOT, 'gpu/src/autocode_gpu/liveness.py'), 'utf8');
    const seconds = Number(/^LIVENESS_S = ([\d.]+)/m.exec(py)?.[1]);
    expect(seconds * 1000).toBe(LIVENESS.every_ms);
    const timeoutMs = msToNumber(LIVENESS.heartbeat_timeout);
    // Three missed beats before a worker counts as lost: a loaded machine does not trip it.
    expect(timeoutMs).toBeGreaterThanOrEqual(3 * LIVENESS.every_ms);
    expect(timeoutMs).toBeLessThanOrEqual(30_000);
  });
});
