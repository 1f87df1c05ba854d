// Which evaluations of a run draw selection labels (`evaluate.selection_at`): plain code with
// type-only imports, so emRun and tests share it.
import type { ResolvedNode } from '../pipelines/validate';

/**
 * The iteration's nodes with `selection_labels` set to 0 on evaluate nodes that ask for labels only
 * at the last iteration, when `iteration` (0 = the starting policy) is not the run's last.
 */
export function nodesForIteration(nodes: ResolvedNode[], iteration: number, last: number): ResolvedNode[] {
  return nodes.map((n) => {
    if (n.uses !== 'evaluate') return n;
    const p = n.params;
    if (p.selection_at !== 'last' || iteration >= last || !p.selection_labels) return n;
    return { ...n, params: { ...p, selection_labels: 0 } };
  });
}
