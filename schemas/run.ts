// Wire types of EM runs: what the workflows pass between nodes. Small JSON only: references to store
// entries, never rows. snake_case: the gpu activities receive parts of them.
import { z } from 'zod';
import { InferenceEndpoints } from './rollout';
import { DatasetRef } from './store';

/** The policy a node works with: a checkpoint directory and its content key. */
export const PolicyRef = z
  .object({
    /** `store:checkpoints/<key>` (resolved on each host against its store root), or `file:///abs`. */
    uri: z.string().min(1),
    /** Content address (store key) or another stable identity; rollouts record it as `policy`. */
    key: z.string().min(1),
  })
  .strict();
export type PolicyRef = z.infer<typeof PolicyRef>;

export const OutputKind = z.enum(['rollouts', 'estimates', 'train', 'checkpoint', 'eval']);
export type OutputKind = z.infer<typeof OutputKind>;

export const Metrics = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));
export type Metrics = z.infer<typeof Metrics>;

export const NodeResult = z
  .object({
    node_id: z.string(),
    uses: z.string(),
    output: OutputKind,
    dataset: DatasetRef.nullable(),
    /** Secondary datasets (evaluate: the per-query results beside the summary). */
    extra: z.record(z.string(), DatasetRef).default({}),
    checkpoint: PolicyRef.nullable(),
    metrics: Metrics,
    /** True when the output was found finished at its content address and nothing ran. */
    cached: z.boolean(),
  })
  .strict();
export type NodeResult = z.infer<typeof NodeResult>;

/** One named query set: the train set, or an eval benchmark. */
export const QuerySet = z.object({ name: z.string(), queries: DatasetRef }).strict();
export type QuerySet = z.infer<typeof QuerySet>;

/** What every node activity receives (cpu or gpu): the run's context, its parameters, its inputs. */
export const NodeRequest = z
  .object({
    run_id: z.string().min(1),
    iteration: z.number().int().min(0),
    seed: z.number().int(),
    node_id: z.string(),
    uses: z.string(),
    params: z.record(z.string(), z.unknown()),
    policy: PolicyRef,
    inference: InferenceEndpoints,
    train: DatasetRef,
    eval: z.array(QuerySet),
    inputs: z.record(z.string(), NodeResult),
  })
  .strict();
/** `params` as the node kind's schema parsed them when the spec was validated (nodes/registry.ts). */
export type NodeRequest<P = Record<string, unknown>> = Omit<z.infer<typeof NodeRequest>, 'params'> & {
  params: P;
};
