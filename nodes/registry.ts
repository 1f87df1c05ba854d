// The node kinds a pipeline spec can use: one line per kind. The spec validator, the JSON Schema,
// `autocode validate`, the cpu worker (nodes/activities.ts) and the workflows' types read this list.
import type { z } from 'zod';
import { behaviorLogprobs } from './behavior-logprobs';
import { estimate } from './estimate';
import { evaluate } from './evaluate';
import { policyUpdate } from './policy-update';
import { rollouts } from './rollouts';
import { synthesize } from './synthesize';

export const NODE_KINDS = {
  rollouts,
  estimate,
  synthesize,
  behavior_logprobs: behaviorLogprobs,
  policy_update: policyUpdate,
  evaluate,
} as const;

export type NodeKindName = keyof typeof NODE_KINDS;

/** A kind's parameters as its schema parsed them. */
export type ParamsOf<K extends NodeKindName> = z.output<(typeof NODE_KINDS)[K]['params']>;

export function isNodeKind(name: string): name is NodeKindName {
  return Object.hasOwn(NODE_KINDS, name);
}
