// One EM iteration: the spec's DAG, every node started as soon as the nodes it needs are done
// (maximal parallelism). Nodes return small JSON (store references, metrics), never rows.
import {
  ApplicationFailure,
  defineQuery,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ResolvedNode } from '../pipelines/validate';
import type { GpuActivities } from '../schemas/gpu-activities';
import { nodeResult } from '../schemas/node-result';
import type { IterationProgress } from '../schemas/progress';
import { TASK_QUEUES } from '../schemas/queues';
import type { InferenceEndpoints } from '../schemas/rollout';
import type { NodeRequest, NodeResult, PolicyRef, QuerySet } from '../schemas/run';
import type { DatasetRef } from '../schemas/store';
import type * as cpuActivities from '../services/index';
import { activityOptions, nodeRequest, type ServeTarget, STAGE, servePolicy } from './common';
import { behaviorInput, trainInput, updateInput } from './gpu-inputs';

export interface IterationInput {
  run_id: string;
  iteration: number;
  seed: number;
  nodes: ResolvedNode[];
  policy: PolicyRef;
  inference: InferenceEndpoints;
  serve: ServeTarget;
  train: DatasetRef;
  eval: QuerySet[];
}

export interface IterationResult {
  iteration: number;
  policy: PolicyRef;
  inference: InferenceEndpoints;
  results: Record<string, NodeResult>;
}

export const iterationProgress = defineQuery<IterationProgress>('progress');

type CpuNodeName = 'rollouts' | 'estimate' | 'synthesize' | 'evaluate';

export async function iteration(input: IterationInput): Promise<IterationResult> {
  const state: IterationProgress = {
    run_id: input.run_id,
    iteration: input.iteration,
    stage: 'start',
    nodes: Object.fromEntries(input.nodes.map((n) => [n.id, { uses: n.uses, state: 'pending' as const }])),
  };
  setHandler(iterationProgress, () => state);
  const record = proxyActivities<typeof cpuActivities>(
    activityOptions(TASK_QUEUES.cpu, '1 minute'),
  ).recordNode;

  let policy = input.policy;
  let inference = input.inference;
  const byId = new Map(input.nodes.map((n) => [n.id, n]));
  const started = new Map<string, Promise<NodeResult>>();
  const running = new Set<string>();
  const setStage = () => {
    state.stage = running.size ? [...running].sort().join(',') : 'idle';
    upsertSearchAttributes([{ key: STAGE, value: state.stage }]);
  };

  const run = (node: ResolvedNode): Promise<NodeResult> => {
    const existing = started.get(node.id);
    if (existing) return existing;
    const p = (async () => {
      const needs = await Promise.all(node.needs.map((id) => run(byId.get(id) as ResolvedNode)));
      const inputs = Object.fromEntries(needs.map((r) => [r.node_id, r]));
      // A node that consumes a checkpoint (evaluate after update) judges that checkpoint.
      const fresh = needs.find((r) => r.checkpoint)?.checkpoint;
      const req = nodeRequest(
        {
          run_id: input.run_id,
          iteration: input.iteration,
          seed: input.seed,
          policy: fresh ?? policy,
          inference,
          train: input.train,
          eval: input.eval,
        },
        node,
        inputs,
      );
      state.nodes[node.id] = { uses: node.uses, state: 'running' };
      running.add(node.id);
      setStage();
      let result: NodeResult;
      try {
        result = await callNode(node, req);
      } catch (err) {
        state.nodes[node.id] = { uses: node.uses, state: 'failed' };
        throw err;
      } finally {
        running.delete(node.id);
        setStage();
      }
      if (result.checkpoint) {
        // Serve the new policy at once: later nodes (evaluate, the next iteration) sample from it.
        inference = await servePolicy(input.serve, result.checkpoint, inference);
        policy = result.checkpoint;
      }
      state.nodes[node.id] = {
        uses: node.uses,
        state: result.cached ? 'cached' : 'done',
        metrics: result.metrics,
      };
      await record({ run_id: input.run_id, iteration: input.iteration, result });
      return result;
    })();
    started.set(node.id, p);
    return p;
  };

  const results = await Promise.all(input.nodes.map(run));
  state.stage = 'done';
  return {
    iteration: input.iteration,
    policy,
    inference,
    results: Object.fromEntries(results.map((r) => [r.node_id, r])),
  };
}

async function callNode(node: ResolvedNode, req: NodeRequest): Promise<NodeResult> {
  const options = activityOptions(
    node.queue === 'gpu' ? TASK_QUEUES.gpu : TASK_QUEUES.cpu,
    node.timeout ?? '6 hours',
    {
      heartbeatTimeout: node.heartbeat_timeout ?? '5 minutes',
      retry: node.retry,
    },
  );
  if (node.uses === 'behavior_logprobs' || node.uses === 'policy_update') {
    const gpu = proxyActivities<GpuActivities>(options);
    const train = trainInput(req);
    if (!train) throw ApplicationFailure.nonRetryable(`${node.id}: ${node.uses} needs a train dataset`);
    if (node.uses === 'behavior_logprobs') {
      // Nothing to rescore: the empty set passes through (the update then skips too).
      if (train.rows === 0) return nodeResult(req, 'train', { dataset: train, metrics: { rows: 0 } });
      const out = await gpu.behavior_logprobs(behaviorInput(req, train));
      return nodeResult(req, 'train', {
        dataset: out.dataset,
        metrics: out.metrics,
        cached: out.metrics.cached,
      });
    }
    if (train.rows === 0) {
      // Every query was dropped (all wrong or all right): nothing to learn, the policy stays.
      return nodeResult(req, 'checkpoint', { metrics: { skipped: 'empty train set', steps: 0 } });
    }
    const out = await gpu.policy_update(updateInput(req, train));
    const key = out.checkpoint.key ?? out.checkpoint.sha256 ?? out.checkpoint.uri;
    return nodeResult(req, 'checkpoint', {
      checkpoint: { uri: out.checkpoint.uri, key },
      metrics: out.metrics,
      cached: out.metrics.cached,
    });
  }
  const cpu = proxyActivities<typeof cpuActivities>(options);
  return cpu[node.uses as CpuNodeName](req);
}
