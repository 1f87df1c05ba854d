// One EM iteration: the spec's DAG, every node started as soon as the nodes it needs are done
// (maximal parallelism), every kind called the same way on its queue. Nodes return small JSON (store
// references, metrics), never rows; a node that produced a checkpoint has it served at once.
import { defineQuery, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { ResolvedNode } from '../pipelines/validate';
import type { IterationProgress } from '../schemas/progress';
import { TASK_QUEUES } from '../schemas/queues';
import type { InferenceEndpoints } from '../schemas/rollout';
import type { NodeResult, PolicyRef, QuerySet } from '../schemas/run';
import type { DatasetRef } from '../schemas/store';
import type * as services from '../services/index';
import { activityOptions, callNode, nodeRequest, STAGE } from './common';
import { Served, type ServeTarget } from './serve';

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

export async function iteration(input: IterationInput): Promise<IterationResult> {
  const state: IterationProgress = {
    run_id: input.run_id,
    iteration: input.iteration,
    stage: 'start',
    nodes: Object.fromEntries(input.nodes.map((n) => [n.id, { uses: n.uses, state: 'pending' as const }])),
  };
  setHandler(iterationProgress, () => state);
  const record = proxyActivities<typeof services>(activityOptions(TASK_QUEUES.cpu, '1 minute')).recordNode;

  let policy = input.policy;
  const served = new Served(input.serve, input.inference);
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
          inference: served.inference,
          train: input.train,
          eval: input.eval,
        },
        node,
        inputs,
      );
      state.nodes[node.id] = {
        uses: node.uses,
        state: 'running',
        ...(node.heartbeat_timeout ? { heartbeat_timeout: node.heartbeat_timeout } : {}),
      };
      running.add(node.id);
      setStage();
      let result: NodeResult;
      try {
        // A node sampling from a server whose host died gets the policy served again, and reruns.
        result = await served.call(req.policy, req.inference, (inference) =>
          callNode(node, { ...req, inference }),
        );
        if (result.checkpoint) {
          // Serve the new policy at once: later nodes (evaluate, the next iteration) sample from it.
          await served.serve(result.checkpoint, { reload: true });
          policy = result.checkpoint;
        }
        await record({ run_id: input.run_id, iteration: input.iteration, result });
      } catch (err) {
        // Serving or recording failing fails the node too: progress must not show it still running.
        state.nodes[node.id] = { uses: node.uses, state: 'failed' };
        throw err;
      } finally {
        running.delete(node.id);
        setStage();
      }
      state.nodes[node.id] = {
        uses: node.uses,
        state: result.cached ? 'cached' : 'done',
        metrics: result.metrics,
      };
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
    inference: served.inference,
    results: Object.fromEntries(results.map((r) => [r.node_id, r])),
  };
}
