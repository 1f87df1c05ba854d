// The `synthesize` node: self-exploratory and self-reflective training samples with whitened
// advantages, tokenized by the policy server (no retokenization of rollout text).

import { synthesizeWithStats } from '../engines/em/synthesize';
import type { EstimateRow, RolloutForEm } from '../engines/em/types';
import { InferenceClient } from '../engines/rollouts/client';
import { toActivityFailure } from '../engines/rollouts/failure';
import { contentKey } from '../engines/store/canonical';
import { lookup } from '../engines/store/catalog';
import { readRows } from '../engines/store/reader';
import { writeDataset } from '../engines/store/writer';
import { SynthesizeParams } from '../pipelines/node-kinds';
import type { Row } from '../schemas/datasets';
import { nodeResult } from '../schemas/node-result';
import type { NodeRequest, NodeResult } from '../schemas/run';
import { nodeInputError } from './errors';
import { datasetsOf, readAll } from './inputs';

export const SYNTHESIZE_PRODUCER = { activity: 'synthesize', version: '2' };
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

export async function synthesize(req: NodeRequest): Promise<NodeResult> {
  const parsed = SynthesizeParams.safeParse(req.params);
  if (!parsed.success) throw nodeInputError(`${req.node_id}: ${parsed.error.message}`);
  const params = { ...parsed.data, seed: req.seed + req.iteration };
  const rolloutRefs = datasetsOf(req, 'rollouts');
  const [estimatesRef] = datasetsOf(req, 'estimates');
  if (!estimatesRef) throw nodeInputError(`${req.node_id}: needs an estimate node`);
  const inputs = {
    estimates: estimatesRef,
    ...Object.fromEntries(rolloutRefs.map((r, i) => [`rollouts_${i}`, r])),
  };
  const key = contentKey({ producer: SYNTHESIZE_PRODUCER, params, inputs });
  const found = await lookup('train', key);
  if (found)
    return nodeResult(req, 'train', { dataset: found, metrics: { samples: found.rows }, cached: true });

  const rollouts = (await readAll(rolloutRefs, COLUMNS)) as unknown as RolloutForEm[];
  const estimates = (await readRows(estimatesRef)) as unknown as EstimateRow[];
  const client = new InferenceClient(req.inference);
  try {
    // The em functions take plain text; tokens come from the serving policy's own tokenizer.
    const tokenize = (text: string) => client.tokenize(text, false);
    const { rows, stats } = await synthesizeWithStats(rollouts, estimates, params, tokenize);
    const ref = await writeDataset(
      { kind: 'train', key, producer: SYNTHESIZE_PRODUCER, params, inputs },
      rows as unknown as Row[],
    );
    return nodeResult(req, 'train', { dataset: ref, metrics: { samples: ref.rows, ...stats } });
  } catch (err) {
    throw toActivityFailure(err);
  } finally {
    client.close();
  }
}
