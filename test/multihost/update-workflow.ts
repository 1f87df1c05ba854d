// A workflow for the update-kill test only: one node called exactly as the iteration calls it
// (callNode: the product's activity options, its 20 s heartbeat timeout and retry policy).
import type { ResolvedNode } from '../../pipelines/validate';
import type { NodeRequest, NodeResult } from '../../schemas/run';
import { callNode } from '../../workflows/common';

export async function oneNode(node: ResolvedNode, req: NodeRequest): Promise<NodeResult> {
  return callNode(node, req);
}
