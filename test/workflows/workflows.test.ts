// The `iteration` and `emRun` workflows on a real dev server with mocked activities (test/workflows/
// harness.ts): the DAG scheduler's order, parallelism, failure, cache states and serving of a new
// checkpoint, and a whole run of two iterations; seconds, where the real-worker tests take minutes.
// One file, so one dev server and one workflow bundle serve every test.
import { Context } from '@temporalio/activity';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadSpec, readSpecFile, resolveSpecPath } from '../../pipelines/load';
import { type ResolvedNode, validateSpec } from '../../pipelines/validate';
import type { PolicyLoadInput, PolicySftInput } from '../../schemas/policy';
import type { IterationProgress, RunProgress } from '../../schemas/progress';
import { LIVENESS, TASK_QUEUES } from '../../schemas/queues';
import type { NodeRequest, NodeResult, PolicyRef } from '../../schemas/run';
import type { IterationSummary } from '../../services/run/record';
import type { emRun } from '../../workflows/em-run';
import type { IterationInput, iteration } from '../../workflows/iteration';
import type { ServeTarget } from '../../workflows/serve';
import {
  EMBEDDED_ROOT,
  EVAL,
  endpoints,
  type Harness,
  SFT_CHECKPOINT,
  sleep,
  startHarness,
  TRAIN,
  updateCheckpoint,
} from './harness';

const START: PolicyRef = { uri: '/mock/ckpt/start', key: 'start' };
const TINY_SPEC = loadSpec('tiny');
const TINY = TINY_SPEC.iteration.nodes;

let h: Harness;
let runs = 0;

function iterationInput(nodes: ResolvedNode[], o: { serve?: ServeTarget } = {}): IterationInput {
  return {
    run_id: `run-${++runs}`,
    iteration: 1,
    seed: 0,
    nodes,
    policy: START,
    inference: endpoints(['http://127.0.0.1:18081'], 'start'),
    serve: o.serve ?? { embedded: { port: 0 } },
    train: TRAIN,
    eval: EVAL,
  };
}

function start(input: IterationInput) {
  return h.client.workflow.start<typeof iteration>('iteration', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: `${input.run_id}/iter-${input.iteration}`,
    args: [input],
  });
}

/** The tiny spec with other iteration nodes (validated like any spec). */
function customNodes(nodes: Record<string, unknown>[]): ResolvedNode[] {
  const raw = readSpecFile(resolveSpecPath('tiny')) as { iteration: { nodes: unknown[] } };
  return validateSpec({ ...raw, iteration: { nodes } }).iteration.nodes;
}

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.mocks.reset());

describe('iteration workflow with mocked nodes', () => {
  it('starts every node once, after all its needs, with their results as inputs; records each once', async () => {
    // The needs of estimate finish in the reverse of their listed order, so waiting on only some of
    // them would start it early.
    h.mocks.on('rollouts_code', async (_, base) => {
      await sleep(150);
      return base();
    });
    h.mocks.on('rollouts_native', async (_, base) => {
      await sleep(300);
      return base();
    });
    const input = iterationInput(TINY);
    const result = await (await start(input)).result();
    const m = h.mocks;

    expect(
      m
        .nodeEvents('start')
        .map((e) => e.node)
        .sort(),
    ).toEqual(TINY.map((n) => n.id).sort());
    for (const node of TINY) {
      const started = m.one(node.id, 'start');
      expect(started.activity).toBe(node.uses);
      const req = started.input as NodeRequest;
      expect(Object.keys(req.inputs).sort()).toEqual([...node.needs].sort());
      for (const need of node.needs) {
        const done = m.one(need, 'end');
        expect(done.seq, `${need} finished before ${node.id} started`).toBeLessThan(started.seq);
        expect(req.inputs[need]).toEqual(done.output);
      }
      expect(result.results[node.id]).toEqual(m.one(node.id, 'end').output);
    }
    const records = m.calls('recordNode');
    expect(records.map((e) => e.node).sort()).toEqual(TINY.map((n) => n.id).sort());
    for (const r of records) {
      expect((r.input as { result: NodeResult }).result).toEqual(m.one(r.node!, 'end').output);
    }
    expect(Object.keys(result.results).sort()).toEqual(TINY.map((n) => n.id).sort());
  });

  it('runs independent nodes at the same time: each rollouts node waits until all three have started', async () => {
    const rollouts = TINY.filter((n) => n.uses === 'rollouts').map((n) => n.id);
    expect(rollouts).toHaveLength(3);
    for (const id of rollouts) {
      // A scheduler that ran them one by one would leave these waits to time out and fail the node.
      h.mocks.on(id, async (_, base) => {
        await Promise.all(rollouts.map((other) => h.mocks.nodeStarted(other)));
        return base();
      });
    }
    await (await start(iterationInput(TINY))).result();
    const firstEnd = Math.min(...rollouts.map((id) => h.mocks.one(id, 'end').seq));
    for (const id of rollouts) expect(h.mocks.one(id, 'start').seq).toBeLessThan(firstEnd);
  });

  it('starts a node as soon as its own needs are done, not when a whole level is', async () => {
    const nodes = customNodes([
      { id: 'fast', uses: 'rollouts' },
      { id: 'slow', uses: 'rollouts' },
      { id: 'after_fast', uses: 'estimate', needs: ['fast'] },
      { id: 'after_slow', uses: 'estimate', needs: ['slow'] },
    ]);
    // `slow` is held open until `after_fast` has started: a level-by-level scheduler never gets there.
    h.mocks.on('slow', async (_, base) => {
      await h.mocks.nodeStarted('after_fast');
      return base();
    });
    await (await start(iterationInput(nodes))).result();
    expect(h.mocks.one('after_fast', 'start').seq).toBeLessThan(h.mocks.one('slow', 'end').seq);
    expect(h.mocks.one('slow', 'end').seq).toBeLessThan(h.mocks.one('after_slow', 'start').seq);
  });

  it('fails with the failing node’s error, starts nothing downstream, and shows the node failed', async () => {
    h.mocks.on('estimate', async () => {
      throw ApplicationFailure.nonRetryable('estimate broke', 'EstimateBroken');
    });
    const handle = await start(iterationInput(TINY));
    const err = await handle.result().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activity = (err as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    const cause = (activity as ActivityFailure).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('EstimateBroken');
    expect((cause as ApplicationFailure).message).toBe('estimate broke');

    // Non-retryable: tried once; everything downstream of estimate never started.
    expect(h.mocks.nodeEvents('start').filter((e) => e.node === 'estimate')).toHaveLength(1);
    const started = new Set(h.mocks.nodeEvents('start').map((e) => e.node));
    for (const id of ['synthesize', 'behavior', 'update', 'evaluate'])
      expect(started.has(id), id).toBe(false);
    expect(h.mocks.calls('recordNode').map((e) => e.node)).not.toContain('estimate');

    const progress = await handle.query<IterationProgress>('progress');
    expect(progress.nodes.estimate?.state).toBe('failed');
    expect(progress.nodes.rollouts_cot?.state).toBe('done');
    expect(progress.nodes.synthesize?.state).toBe('pending');
    expect(progress.nodes.evaluate?.state).toBe('pending');
  });

  it('shows the update failed, not still running, when serving its checkpoint fails', async () => {
    h.mocks.on('policy_load', async () => {
      throw ApplicationFailure.nonRetryable('no device', 'DeviceLost');
    });
    const handle = await start(iterationInput(TINY));
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const progress = await handle.query<IterationProgress>('progress');
    expect(progress.nodes.update?.state).toBe('failed');
    expect(progress.nodes.evaluate?.state).toBe('pending');
    expect(h.mocks.nodeEvents('start').map((e) => e.node)).not.toContain('evaluate');
  });

  it('keeps a node that reports nothing for longer than the heartbeat timeout alive (liveness heartbeats)', async () => {
    // The product's defaults: 20 s heartbeat timeout, the worker heartbeating every 5 s on its own.
    const attempts: number[] = [];
    h.mocks.on('estimate', async (_, base) => {
      const info = Context.current().info;
      if (info.activityType !== 'estimate') return base(); // its recordNode carries the node id too
      attempts.push(info.attempt);
      await sleep(LIVENESS.every_ms * 5); // 25 s of silence
      return base();
    });
    const handle = await start(iterationInput(TINY));
    await handle.result();
    expect(attempts).toEqual([1]);
  }, 120_000);

  it('shows a node that returned cached: true as cached, in the progress query and the result', async () => {
    for (const id of ['rollouts_code', 'estimate']) {
      h.mocks.on(id, async (_, base) => ({ ...((await base()) as NodeResult), cached: true }));
    }
    const handle = await start(iterationInput(TINY));
    const result = await handle.result();
    const progress = await handle.query<IterationProgress>('progress');
    expect(progress.stage).toBe('done');
    for (const node of TINY) {
      const cached = node.id === 'rollouts_code' || node.id === 'estimate';
      expect(progress.nodes[node.id]?.state, node.id).toBe(cached ? 'cached' : 'done');
      expect(result.results[node.id]?.cached, node.id).toBe(cached);
    }
  });

  it('serves the update’s checkpoint on the embedded server before the evaluation that needs it', async () => {
    // A slow load: a scheduler that did not wait for it would start evaluate meanwhile.
    h.mocks.on('policy_load', async (_, base) => {
      await sleep(300);
      return base();
    });
    const input = iterationInput(TINY);
    const result = await (await start(input)).result();
    const m = h.mocks;
    const checkpoint = updateCheckpoint(input.run_id, 1);

    const loads = m.calls('policy_load', 'end');
    expect(loads.map((e) => e.input)).toEqual([{ checkpoint, port: 0 }]);
    expect(loads[0]!.seq).toBeGreaterThan(m.one('update', 'end').seq);
    expect(loads[0]!.seq).toBeLessThan(m.one('evaluate', 'start').seq);
    expect(m.calls('reloadEndpoints')).toEqual([]);

    const evaluate = m.one('evaluate', 'start').input as NodeRequest;
    expect(evaluate.policy).toEqual(checkpoint);
    expect(evaluate.inference.urls).toEqual([EMBEDDED_ROOT]);
    // Nodes before the update sample from the iteration's starting policy.
    expect((m.one('rollouts_cot', 'start').input as NodeRequest).policy).toEqual(START);
    expect(result.policy).toEqual(checkpoint);
    expect(result.inference.urls).toEqual([EMBEDDED_ROOT]);
  });

  it('tells external endpoints to reload the checkpoint instead, before the evaluation', async () => {
    const urls = ['http://127.0.0.1:18091', 'http://127.0.0.1:18092'];
    h.mocks.on('reloadEndpoints', async (_, base) => {
      await sleep(300);
      return base();
    });
    const input = iterationInput(TINY, {
      serve: { endpoints: { urls, model: 'served', max_concurrency: 8 } },
    });
    const result = await (await start(input)).result();
    const m = h.mocks;
    const checkpoint = updateCheckpoint(input.run_id, 1);

    const reloads = m.calls('reloadEndpoints', 'end');
    expect(reloads.map((e) => e.input)).toEqual([{ urls, model_path: checkpoint.uri }]);
    expect(reloads[0]!.seq).toBeGreaterThan(m.one('update', 'end').seq);
    expect(reloads[0]!.seq).toBeLessThan(m.one('evaluate', 'start').seq);
    expect(m.calls('policy_load')).toEqual([]);

    const evaluate = m.one('evaluate', 'start').input as NodeRequest;
    expect(evaluate.policy).toEqual(checkpoint);
    expect(evaluate.inference).toMatchObject({ urls, model: 'served', concurrency: 8 });
    expect(result.policy).toEqual(checkpoint);
  });
});

describe('emRun workflow with mocked activities', () => {
  it('prepares, bootstraps and serves, evaluates the start, runs two iterations in order, then reports', async () => {
    expect(TINY_SPEC.iterations).toBe(2);
    const runId = 'em-mock';
    const handle = await h.client.workflow.start<typeof emRun>('emRun', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: runId,
      args: [{ spec: 'tiny' }],
    });
    const result = await handle.result();
    const m = h.mocks;
    const ids = TINY.map((n) => n.id).sort();
    const ck1 = updateCheckpoint(runId, 1);
    const ck2 = updateCheckpoint(runId, 2);

    // Preparation, then the bootstrap SFT on prepareRun's demonstrations, then serving its checkpoint.
    const [prepare] = m.calls('prepareRun', 'end');
    const [sft] = m.calls('policy_sft', 'start');
    expect(prepare!.seq).toBeLessThan(sft!.seq);
    expect((sft!.input as PolicySftInput).demonstrations.kind).toBe('demonstrations');
    const loads = m.calls('policy_load', 'start');
    expect(loads.map((e) => (e.input as PolicyLoadInput).checkpoint)).toEqual([SFT_CHECKPOINT, ck1, ck2]);
    expect(m.calls('policy_sft', 'end')[0]!.seq).toBeLessThan(loads[0]!.seq);

    // The baseline: the evaluate node alone at iteration 0, on the served starting policy, recorded.
    const baseline = m.one('evaluate', 'start', 0);
    const baseReq = baseline.input as NodeRequest;
    expect(baseline.seq).toBeGreaterThan(m.calls('policy_load', 'end')[0]!.seq);
    expect(baseReq.policy).toEqual(SFT_CHECKPOINT);
    expect(baseReq.inference.urls).toEqual([EMBEDDED_ROOT]);
    expect(baseReq.inputs).toEqual({});
    expect(m.nodeEvents('start').filter((e) => e.iteration === 0)).toHaveLength(1);
    expect(
      m
        .calls('recordNode')
        .filter((e) => e.iteration === 0)
        .map((e) => e.node),
    ).toEqual(['evaluate']);

    // Two iterations, each every node once, the second only after the first finished everything.
    for (const k of [1, 2]) {
      const started = m.nodeEvents('start').filter((e) => e.iteration === k);
      expect(started.map((e) => e.node).sort(), `iteration ${k}`).toEqual(ids);
      expect(
        m
          .calls('recordNode')
          .filter((e) => e.iteration === k)
          .map((e) => e.node)
          .sort(),
      ).toEqual(ids);
    }
    const seqs = (k: number) => m.events.filter((e) => e.iteration === k).map((e) => e.seq);
    expect(Math.max(...seqs(0))).toBeLessThan(Math.min(...seqs(1)));
    const firstOfSecond = Math.min(...seqs(2));
    expect(Math.max(...seqs(1))).toBeLessThan(firstOfSecond);
    expect(m.calls('policy_load', 'end')[1]!.seq).toBeLessThan(firstOfSecond);
    // Each iteration starts from the policy before it: the bootstrap's, then iteration 1's update.
    expect((m.one('rollouts_cot', 'start', 1).input as NodeRequest).policy).toEqual(SFT_CHECKPOINT);
    const second = m.one('rollouts_cot', 'start', 2).input as NodeRequest;
    expect(second.policy).toEqual(ck1);
    expect(second.inference.urls).toEqual([EMBEDDED_ROOT]);
    expect((m.one('update', 'start', 2).input as NodeRequest).inputs.behavior).toBeDefined();
    // Selection labels only at the last iteration (selection_at: last).
    const labels = (k: number) =>
      (m.one('evaluate', 'start', k).input as NodeRequest<{ selection_labels: number }>).params
        .selection_labels;
    expect([labels(0), labels(1), labels(2)]).toEqual([0, 0, 4]);

    // One report, last, with the three evaluations.
    const reports = m.calls('writeRunReport');
    expect(reports).toHaveLength(1);
    expect(reports[0]!.seq).toBeGreaterThan(Math.max(...seqs(2)));
    const summaries = (reports[0]!.input as { spec_name: string; iterations: IterationSummary[] }).iterations;
    expect((reports[0]!.input as { spec_name: string }).spec_name).toBe('tiny');
    expect(summaries.map((s) => [s.iteration, s.policy])).toEqual([
      [0, SFT_CHECKPOINT.key],
      [1, ck1.key],
      [2, ck2.key],
    ]);
    expect(summaries.map((s) => s.metrics['tiny_world.auto.accuracy'])).toEqual([0, 0.1, 0.2]);
    expect(Object.keys(summaries[2]!.nodes).sort()).toEqual(ids);

    expect(result.policy).toEqual(ck2);
    expect(result.iterations).toEqual(summaries);
    expect(result.report).toBe(`/mock/runs/${runId}/report.md`);
    for (const k of [1, 2]) {
      const child = await h.client.workflow.getHandle(`${runId}/iter-${k}`).describe();
      expect(child.type).toBe('iteration');
      expect(child.status.name).toBe('COMPLETED');
    }
    const progress = await handle.query<RunProgress>('progress');
    expect(progress.stage).toBe('done');
    expect(progress.evaluations.map((e) => e.iteration)).toEqual([0, 1, 2]);
  });
});
