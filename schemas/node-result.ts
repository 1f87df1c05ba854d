// Building a node's result: plain code with type-only imports, so workflows and activities share it.
import type { NodeResult, OutputKind } from './run';

/** A node's result with nothing produced yet filled in. */
export function nodeResult(
  node: { node_id: string; uses: string },
  output: OutputKind,
  fields: Partial<Omit<NodeResult, 'node_id' | 'uses' | 'output'>> = {},
): NodeResult {
  return {
    node_id: node.node_id,
    uses: node.uses,
    output,
    dataset: null,
    extra: {},
    checkpoint: null,
    metrics: {},
    cached: false,
    ...fields,
  };
}
