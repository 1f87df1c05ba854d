// A node's request as the iteration workflow sends it, for tests of node kinds and their wiring.
import type { NodeRequest } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';

/** A store reference whose key and hash are `c` repeated (64 hex digits). */
export function fakeRef(c: string, kind = 'queries', rows = 2): DatasetRef {
  return {
    kind,
    key: c.repeat(64),
    uri: `/store/${kind}/${c.repeat(64)}`,
    sha256: c.repeat(64),
    rows,
    schema_version: 1,
  };
}

export function nodeRequestFor<P>(
  uses: string,
  params: P,
  inputs: NodeRequest['inputs'] = {},
  o: { seed?: number; policy?: NodeRequest['policy']; train?: DatasetRef } = {},
): NodeRequest<P> {
  return {
    run_id: 'r',
    iteration: 1,
    seed: o.seed ?? 0,
    node_id: uses,
    uses,
    params,
    policy: o.policy ?? { uri: '/store/checkpoints/start', key: 'e'.repeat(64) },
    // Nothing listens there: a node that samples would fail, one that only reads and writes does not.
    inference: {
      urls: ['http://127.0.0.1:1'],
      model: 'm',
      concurrency: 1,
      timeout_ms: 1000,
      attempts: 1,
      backoff_ms: 1,
      backoff_max_ms: 1,
    },
    train: o.train ?? fakeRef('d'),
    eval: [],
    inputs,
  };
}
