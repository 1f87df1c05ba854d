// The `estimate` node: Q per method, native prior, reference strategy and decision per query.
import { estimate as estimateRows } from '../engines/em/estimate';
import type { RolloutForEm } from '../engines/em/types';
import type { Row } from '../schemas/datasets';
import { EstimateParams } from '../schemas/nodes';
import { defineNode } from './define';
import { datasetsOf, readAll, seeded } from './inputs';

// Only the columns the estimate reads: rollouts are wide (token ids, log-probs).
const COLUMNS = ['query_id', 'mode', 'sample', 'method', 'reward'];

export const estimate = defineNode({
  uses: 'estimate',
  queue: 'cpu',
  output: 'estimates',
  dataset: 'estimates',
  inputs: { rollouts: [1, 16] },
  params: EstimateParams,
  producer: { activity: 'estimate', version: '1' },
  description: 'Q per method, prior from native rollouts, reference strategy and decision per query',
  identity: (req) => ({
    params: seeded(req),
    inputs: Object.fromEntries(datasetsOf(req, 'rollouts').map((r, i) => [`rollouts_${i}`, r])),
  }),
  async produce({ req }) {
    const rows = (await readAll(datasetsOf(req, 'rollouts'), COLUMNS)) as unknown as RolloutForEm[];
    const out = estimateRows(rows, seeded(req));
    return {
      rows: out as unknown as Row[],
      stats: {
        decision_cot: out.filter((r) => r.decision === 'cot').length,
        decision_code: out.filter((r) => r.decision === 'code').length,
      },
    };
  },
  describe: async (ref, _req, produced) => ({ metrics: { queries: ref.rows, ...produced?.stats } }),
});
