// Reading a node's inputs: the results of the nodes it needs, by output kind.

import { readRows } from '../engines/store/reader';
import type { Row } from '../schemas/datasets';
import type { NodeRequest, NodeResult, OutputKind } from '../schemas/run';
import type { DatasetRef } from '../schemas/store';
import { nodeInputError } from './errors';

export function inputsOf(req: Pick<NodeRequest, 'inputs'>, kind: OutputKind): NodeResult[] {
  return Object.values(req.inputs).filter((r) => r.output === kind);
}

export function datasetsOf(req: Pick<NodeRequest, 'inputs' | 'node_id'>, kind: OutputKind): DatasetRef[] {
  return inputsOf(req, kind).map((r) => {
    if (!r.dataset) throw nodeInputError(`${req.node_id}: input ${r.node_id} (${kind}) has no dataset`);
    return r.dataset;
  });
}

export async function readAll(refs: readonly DatasetRef[], columns?: string[]): Promise<Row[]> {
  const out: Row[] = [];
  for (const ref of refs) for (const row of await readRows(ref, { columns })) out.push(row);
  return out;
}

/** The E-step's parameters with the run's seed for this iteration (its draws repeat on a resume). */
export function seeded<P>(req: NodeRequest<P>): P & { seed: number } {
  return { ...req.params, seed: req.seed + req.iteration };
}

/** The policy as a manifest input of the entries it produced or judged. */
export function policyInput(req: Pick<NodeRequest, 'policy'>): { kind: string; key: string; sha256: string } {
  return { kind: 'checkpoints', key: req.policy.key, sha256: req.policy.key };
}
