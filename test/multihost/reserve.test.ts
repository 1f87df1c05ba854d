// The embedded server lives in the gpu worker that ran policy_load: when that host dies, the nodes
// sampling from it fail with InferenceUnavailable. The iteration then serves the policy again (on
// whichever gpu worker still polls) and reruns them with the new endpoints; nodes that failed together
// share one new serve. External endpoints are fixed by the spec: the failure stands. Mocked
// activities on a real dev server (test/workflows/harness.ts), so this takes seconds.
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadSpec } from '../../pipelines/load';
import type { PolicyLoadInput, PolicyLoadOutput } from '../../schemas/policy';
import { TASK_QUEUES } from '../../schemas/queues';
import type { NodeRequest, PolicyRef } from '../../schemas/run';
import type { IterationInput, IterationResult } from '../../workflows/iteration';
import type { ServeTarget } from '../../workflows/serve';
import { EVAL, endpoints, type Harness, startHarness, TRAIN } from '../workflows/harness';

const START: PolicyRef = { uri: '/mock/ckpt/start', key: 'start' };
const DEAD = 'http://10.233.0.12:40001';
const LIVE = 'http://10.233.0.13:40002';
let h: Harness;
let runs = 0;

function input(serve: ServeTarget): IterationInput {
  return {
    run_id: `reserve-${++runs}`,
    iteration: 1,
    seed: 0,
    nodes: loadSpec('tiny').iteration.nodes,
    policy: START,
    inference: endpoints([DEAD], 'policy'),
    serve,
    train: TRAIN,
    eval: EVAL,
  };
}

/** Nodes that sample fail as the rollout client does when no endpoint answers. */
function sampleFrom(live: string) {
  return async (req: NodeRequest, base: () => Promise<unknown>) => {
    // The harness scripts by node id, which recordNode of that node shares: it has no request.
    if (!req.inference) return base();
    if (!req.inference.urls.includes(live)) {
      throw ApplicationFailure.create({
        message: `inference endpoints unavailable (${req.inference.urls.join(', ')}) after 6 attempts`,
        type: 'InferenceUnavailable',
        nonRetryable: true, // the retries are spent: what the workflow sees after the last attempt
      });
    }
    return base();
  };
}

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.mocks.reset());

describe('a lost embedded server is served again on a live gpu worker', () => {
  it('reruns the rollouts nodes on the new endpoints after one shared policy_load of the same policy', async () => {
    h.mocks.on(
      'policy_load',
      async (i: PolicyLoadInput, base): Promise<PolicyLoadOutput> => ({
        ...((await base()) as PolicyLoadOutput),
        base_url: `${LIVE}/v1`,
        checkpoint: i.checkpoint,
      }),
    );
    for (const n of ['rollouts_cot', 'rollouts_code', 'rollouts_native', 'evaluate'])
      h.mocks.on(n, sampleFrom(LIVE));
    const run = input({ embedded: { port: 0 } });
    const handle = await h.client.workflow.start('iteration', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: `${run.run_id}/iter-1`,
      args: [run],
    });
    const result = (await handle.result()) as IterationResult;
    const m = h.mocks;
    const loads = m.calls('policy_load', 'start').map((e) => e.input as PolicyLoadInput);
    // One re-serve of the starting policy for the three failed rollouts nodes, then the update's.
    expect(loads.map((l) => l.checkpoint)).toEqual([START, result.policy]);
    for (const n of ['rollouts_cot', 'rollouts_code', 'rollouts_native']) {
      const starts = m.nodeEvents('start').filter((e) => e.node === n);
      expect(starts.map((e) => (e.input as NodeRequest).inference.urls)).toEqual([[DEAD], [LIVE]]);
      expect(starts.every((e) => (e.input as NodeRequest).policy.key === START.key)).toBe(true);
    }
    expect(m.one('evaluate', 'start').input).toMatchObject({ inference: { urls: [LIVE] } });
    expect(result.inference.urls).toEqual([LIVE]);
  });

  it('fails with InferenceUnavailable when the endpoints are external, without serving anything', async () => {
    for (const n of ['rollouts_cot', 'rollouts_code', 'rollouts_native']) h.mocks.on(n, sampleFrom(LIVE));
    const run = input({ endpoints: { urls: [DEAD], model: 'policy', max_concurrency: 4 } });
    const handle = await h.client.workflow.start('iteration', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: `${run.run_id}/iter-1`,
      args: [run],
    });
    const err = await handle.result().catch((e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String(err.cause?.cause?.message)).toContain(`inference endpoints unavailable (${DEAD})`);
    expect(h.mocks.calls('policy_load')).toEqual([]);
    expect(h.mocks.calls('reloadEndpoints')).toEqual([]);
  });

  it('gives up after two re-serves when no gpu worker serves a reachable endpoint', async () => {
    for (const n of ['rollouts_cot', 'rollouts_code', 'rollouts_native']) h.mocks.on(n, sampleFrom(LIVE));
    // policy_load answers with the mock's unreachable default endpoint every time.
    const run = input({ embedded: { port: 0 } });
    const handle = await h.client.workflow.start('iteration', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: `${run.run_id}/iter-1`,
      args: [run],
    });
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    const cot = h.mocks.nodeEvents('start').filter((e) => e.node === 'rollouts_cot');
    expect(cot).toHaveLength(3);
  });
});
