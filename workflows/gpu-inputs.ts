// The inputs of the gpu nodes (rescoring, update) from a node's request: plain code with type-only
// imports, so the iteration workflow and tests share it.
import type { BehaviorLogprobsInput } from '../schemas/behavior';
import type { PolicyUpdateInput } from '../schemas/policy';
import type { NodeRequest } from '../schemas/run';
import type { DatasetRef } from '../schemas/store';

/** The node's one train input (validation allows exactly one): synthesize's, or the rescored set. */
export function trainInput(req: Pick<NodeRequest, 'inputs'>): DatasetRef | undefined {
  return Object.values(req.inputs).find((r) => r.output === 'train')?.dataset ?? undefined;
}

/** behavior_logprobs scores the train set under the request's policy: the iteration's starting one. */
export function behaviorInput(req: NodeRequest, train: DatasetRef): BehaviorLogprobsInput {
  return {
    ...(req.params as Partial<BehaviorLogprobsInput>),
    policy: { uri: req.policy.uri, key: req.policy.key },
    train,
  };
}

/** policy_update starts from the request's policy on its train input (the rescored set after behavior_logprobs). */
export function updateInput(req: NodeRequest, train: DatasetRef): PolicyUpdateInput {
  return { policy: req.policy, train, hyper: req.params, iteration: req.iteration };
}
