// The `synthesize` node: self-exploratory and self-reflective training samples with whitened
// advantages, tokenized by the policy server (no retokenization of rollout text).
import { synthesizeWithStats } from '../engines/em/synthesize';
import type { EstimateRow, RolloutForEm } from '../engines/em/types';
import { InferenceClient } from '../engines/rollouts/client';
import { readRows } from '../engines/store/reader';
import type { Row } from '../schemas/datasets';
import { SynthesizeParams } from '../schemas/nodes';
import type { NodeRequest } from '../schemas/run';
import { defineNode } from './define';
import { nodeInputError } from './errors';
import { datasetsOf, readAll, seeded } from './inputs';

const COLUMNS = [
  'query_id',
  'mode',
  'sample',
  'method',
  'reward',
  'prompt_token_ids',
  'response_text',
  'response_token_ids',
  'behavior_logprobs',
  'loss_mask',
];

function sources(req: Pick<NodeRequest, 'inputs' | 'node_id'>) {
  const rollouts = datasetsOf(req, 'rollouts');
  const [estimates] = datasetsOf(req, 'estimates');
  if (!estimates) throw nodeInputError(`${req.node_id}: needs an estimate node`);
  return { rollouts, estimates };
}

export const synthesize = defineNode({
  uses: 'synthesize',
  queue: 'cpu',
  output: 'train',
  dataset: 'train',
  inputs: { rollouts: [1, 16], estimates: [1, 1] },
  params: SynthesizeParams,
  producer: { activity: 'synthesize', version: '2' },
  description: 'self-exploratory and self-reflective training samples with whitened advantages',
  identity(req) {
    const { rollouts, estimates } = sources(req);
    return {
      params: seeded(req),
      inputs: { estimates, ...Object.fromEntries(rollouts.map((r, i) => [`rollouts_${i}`, r])) },
    };
  },
  async produce({ req }) {
    const src = sources(req);
    const rollouts = (await readAll(src.rollouts, COLUMNS)) as unknown as RolloutForEm[];
    const estimates = (await readRows(src.estimates)) as unknown as EstimateRow[];
    const client = new InferenceClient(req.inference);
    try {
      // The em functions take plain text; tokens come from the serving policy's own tokenizer.
      const tokenize = (text: string) => client.tokenize(text, false);
      const { rows, stats } = await synthesizeWithStats(rollouts, estimates, seeded(req), tokenize);
      return { rows: rows as unknown as Row[], stats: { ...stats } };
    } finally {
      client.close();
    }
  },
  describe: async (ref, _req, produced) => ({ metrics: { samples: ref.rows, ...produced?.stats } }),
});
