// The `behavior_logprobs` node: behaviour log-probs of every train row under the iteration's starting
// policy in its exact training context, and the drift record. It runs in the Python worker
// (gpu/src/autocode_gpu/nodes.py); this is its declaration.
import { BehaviorParams } from '../schemas/nodes';
import { defineNode } from './define';

export const behaviorLogprobs = defineNode({
  uses: 'behavior_logprobs',
  queue: 'gpu',
  output: 'train',
  inputs: { train: [1, 1] },
  params: BehaviorParams,
  producer: { activity: 'behavior_logprobs', version: '1' },
  description:
    "behaviour log-probs of every train row under the iteration's starting policy in its exact context; drift record",
});
