// The cpu node kinds as the activities the TypeScript worker registers: each under its `uses` name,
// each through the node kernel. (The gpu kinds are the Python worker's.)
import type { NodeRequest, NodeResult } from '../schemas/run';
import type { CpuNodeKind } from './define';
import { runNode } from './kernel';
import { NODE_KINDS } from './registry';

export type NodeActivity = (req: NodeRequest) => Promise<NodeResult>;

export function nodeActivities(): Record<string, NodeActivity> {
  const out: Record<string, NodeActivity> = {};
  for (const kind of Object.values(NODE_KINDS)) {
    if (kind.queue !== 'cpu') continue;
    // The request's params were parsed by this kind's schema when the spec was validated.
    const cpu = kind as CpuNodeKind;
    out[cpu.uses] = (req) => runNode(cpu, req);
  }
  return out;
}
