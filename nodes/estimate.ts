// The `estimate` node: Q per method, native prior, reference strategy and decision per query.

import { estimate as estimateRows } from '../engines/em/estimate';
import type { RolloutForEm } from '../engines/em/types';
import { contentKey } from '../engines/store/canonical';
import { lookup } from '../engines/store/catalog';
import { writeDataset } from '../engines/store/writer';
import { EstimateParams } from '../pipelines/node-kinds';
import type { Row } from '../schemas/datasets';
import { nodeResult } from '../schemas/node-result';
import type { NodeRequest, NodeResult } from '../schemas/run';
import { nodeInputError } from './errors';
import { datasetsOf, readAll } from './inputs';

export const ESTIMATE_PRODUCER = { activity: 'estimate', version: '1' };
const COLUMNS = ['query_id', 'mode', 'sample', 'method', 'reward'];

export async function estimate(req: NodeRequest): Promise<NodeResult> {
  const parsed = EstimateParams.safeParse(req.params);
  if (!parsed.success) throw nodeInputError(`${req.node_id}: ${parsed.error.message}`);
  const params = { ...parsed.data, seed: req.seed + req.iteration };
  const sources = datasetsOf(req, 'rollouts');
  const inputs = Object.fromEntries(sources.map((r, i) => [`rollouts_${i}`, r]));
  const key = contentKey({ producer: ESTIMATE_PRODUCER, params, inputs });
  let ref = await lookup('estimates', key);
  const cached = ref !== null;
  let decisions = { cot: 0, code: 0 };
  if (!ref) {
    // Only the columns the estimate reads: rollouts are wide (token ids, log-probs).
    const rows = (await readAll(sources, COLUMNS)) as unknown as RolloutForEm[];
    const out = estimateRows(rows, params);
    decisions = {
      cot: out.filter((r) => r.decision === 'cot').length,
      code: out.filter((r) => r.decision === 'code').length,
    };
    ref = await writeDataset(
      { kind: 'estimates', key, producer: ESTIMATE_PRODUCER, params, inputs },
      out as unknown as Row[],
    );
  }
  return nodeResult(req, 'estimates', {
    dataset: ref,
    metrics: {
      queries: ref.rows,
      ...(cached ? {} : { decision_cot: decisions.cot, decision_code: decisions.code }),
    },
    cached,
  });
}
