// The `policy_update` node: the off-policy policy-gradient update (M-step) on the train set, writing a
// new checkpoint that the workflow then serves. It runs in the Python worker
// (gpu/src/autocode_gpu/nodes.py); this is its declaration.
import { UpdateParams } from '../schemas/nodes';
import { defineNode } from './define';

export const policyUpdate = defineNode({
  uses: 'policy_update',
  queue: 'gpu',
  output: 'checkpoint',
  inputs: { train: [1, 1] },
  params: UpdateParams,
  producer: { activity: 'policy_update', version: '1' },
  description: 'off-policy policy-gradient update (M-step); writes a new checkpoint',
});
