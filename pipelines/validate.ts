// Validates a pipeline spec: shape (zod), node parameters per kind (nodes/registry.ts), `needs`
// references, cycles, producer/consumer kinds and benchmark names. Every problem carries the path of
// the offending field. A resolved node carries its parameters parsed and typed: nothing below parses
// them again.
import type { z } from 'zod';
import { NODE_KINDS, type NodeKindName, type ParamsOf } from '../nodes/registry';
import { type PromptSpec, resolvePrompt } from '../schemas/prompt';
import type { TaskQueueName } from '../schemas/queues';
import type { OutputKind } from '../schemas/run';
import { type NodeSpec, PipelineSpec } from './spec';

export interface SpecIssue {
  path: string;
  message: string;
}

export class SpecError extends Error {
  constructor(readonly issues: SpecIssue[]) {
    super(`invalid pipeline spec:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'SpecError';
  }
}

interface ResolvedNodeOf<K extends NodeKindName> extends Omit<NodeSpec, 'uses'> {
  uses: K;
  /** `with` over the spec's per-kind defaults, parsed by the kind's parameter schema. */
  params: ParamsOf<K>;
  output: OutputKind;
  queue: TaskQueueName;
}

/** A spec node as validated: one of the kinds, with that kind's parameters. */
export type ResolvedNode = { [K in NodeKindName]: ResolvedNodeOf<K> }[NodeKindName];

export interface ResolvedSpec extends Omit<PipelineSpec, 'iteration'> {
  iteration: { nodes: ResolvedNode[] };
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

function zodIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): SpecIssue[] {
  return error.issues.map((i) => ({ path: formatPath([...prefix, ...i.path]), message: i.message }));
}

export interface ValidateOptions {
  /** Benchmark names the registry knows; when given, unknown names are errors. */
  knownBenchmarks?: ReadonlySet<string>;
}

export function validateSpec(raw: unknown, opts: ValidateOptions = {}): ResolvedSpec {
  const parsed = PipelineSpec.safeParse(raw);
  if (!parsed.success) throw new SpecError(zodIssues(parsed.error));
  const spec = parsed.data;
  const issues: SpecIssue[] = [];
  const nodes = spec.iteration.nodes;
  const at = (i: number, ...rest: PropertyKey[]) => formatPath(['iteration', 'nodes', i, ...rest]);

  for (const kind of Object.keys(spec.defaults)) {
    if (!(kind in NODE_KINDS))
      issues.push({ path: `defaults.${kind}`, message: `unknown activity '${kind}'` });
  }

  const index = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (index.has(n.id)) issues.push({ path: at(i, 'id'), message: `duplicate node id '${n.id}'` });
    else index.set(n.id, i);
  });

  const resolved: ResolvedNode[] = [];
  nodes.forEach((n, i) => {
    const kind = NODE_KINDS[n.uses as NodeKindName];
    n.needs.forEach((need, j) => {
      if (need === n.id) issues.push({ path: at(i, 'needs', j), message: `node '${n.id}' needs itself` });
      else if (!index.has(need)) issues.push({ path: at(i, 'needs', j), message: `unknown node '${need}'` });
    });
    const prompted = 'prompted' in kind && kind.prompted && spec.prompt !== undefined;
    const base = prompted ? { prompt: spec.prompt } : {};
    const params = kind.params.safeParse({ ...base, ...(spec.defaults[n.uses] ?? {}), ...n.with });
    if (!params.success)
      // The path counts nodes; the message names the node, since a default can fail several.
      issues.push(
        ...zodIssues(params.error, ['iteration', 'nodes', i, 'with']).map((x) => ({
          ...x,
          message: `node '${n.id}' (${n.uses}): ${x.message}`,
        })),
      );
    const prompt = params.success ? (params.data as { prompt?: PromptSpec }).prompt : undefined;
    if ('bootstrap' in spec.policy && resolvePrompt(prompt).format === 'chat') {
      // A bootstrapped policy learns from raw-text demonstrations: a chat prompt would not be its prompt.
      const where =
        'prompt' in n.with
          ? at(i, 'with', 'prompt', 'format')
          : spec.defaults[n.uses]?.prompt !== undefined
            ? `defaults.${n.uses}.prompt.format`
            : 'prompt.format';
      if (!issues.some((x) => x.path === where))
        issues.push({
          path: where,
          message:
            'chat needs a model whose tokenizer has a chat template; a bootstrapped policy is trained on raw prompts',
        });
    }
    resolved.push({
      ...n,
      uses: n.uses as NodeKindName,
      // Only read when there are no issues, and then the parse succeeded.
      params: params.success ? params.data : {},
      output: kind.output,
      queue: n.queue ?? kind.queue,
    } as ResolvedNode);
  });

  const cycle = findCycle(nodes.map((n) => ({ id: n.id, needs: n.needs.filter((d) => index.has(d)) })));
  if (cycle) issues.push({ path: 'iteration.nodes', message: `cycle in needs: ${cycle.join(' -> ')}` });

  resolved.forEach((n, i) => {
    const counts = new Map<OutputKind, number>();
    for (const need of n.needs) {
      const producer = resolved[index.get(need) ?? -1];
      if (producer) counts.set(producer.output, (counts.get(producer.output) ?? 0) + 1);
    }
    const accepts: Partial<Record<OutputKind, [number, number]>> = NODE_KINDS[n.uses].inputs;
    for (const kind of counts.keys()) {
      if (!(kind in accepts))
        issues.push({ path: at(i, 'needs'), message: `'${n.uses}' does not take ${kind} inputs` });
    }
    for (const [kind, [min, max]] of Object.entries(accepts) as [OutputKind, [number, number]][]) {
      const c = counts.get(kind) ?? 0;
      if (c < min || c > max) {
        issues.push({
          path: at(i, 'needs'),
          message: `'${n.uses}' needs ${min}..${max} ${kind} producers, got ${c}`,
        });
      }
    }
  });

  if (opts.knownBenchmarks) {
    const known = opts.knownBenchmarks;
    const check = (list: PipelineSpec['queries']['train'], where: string) =>
      list.forEach((q, i) => {
        if ('benchmark' in q && !known.has(q.benchmark)) {
          issues.push({
            path: `queries.${where}[${i}].benchmark`,
            message: `unknown benchmark '${q.benchmark}'; known: ${[...known].sort().join(', ')}`,
          });
        }
      });
    check(spec.queries.train, 'train');
    check(spec.queries.eval, 'eval');
  }

  if (issues.length > 0) throw new SpecError(issues);
  return { ...spec, iteration: { nodes: resolved } };
}

/** A cycle among the nodes as a list of ids (first repeated at the end), or undefined. */
export function findCycle(nodes: { id: string; needs: string[] }[]): string[] | undefined {
  const needs = new Map(nodes.map((n) => [n.id, n.needs]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of needs.get(id) ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const n of nodes) {
    const found = visit(n.id);
    if (found) return found;
  }
  return undefined;
}
