// The declarative pipeline spec: a run's model, queries, iteration count, storage, and the iteration
// DAG (nodes with id, uses, needs, with, and optional queue/timeout/retry overrides). One zod source
// gives the TypeScript type, the validator and the generated JSON Schema (pipelines/spec.schema.json).
import { z } from 'zod';
import { isNodeKind, NODE_KINDS, type NodeKindName } from '../nodes/registry';
import { SftHyper } from '../schemas/policy';
import { PromptSpec } from '../schemas/prompt';
import { BaseModel, DemonstrationsSource } from './policy-source';

const Identifier = z.string().regex(/^[a-z][a-z0-9_]*$/, 'use lower_snake_case (a-z, 0-9, _)');
const Duration = z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h)$/, 'a duration like "30s", "10m" or "2h"');

export const RetryOverride = z
  .object({
    maximum_attempts: z.number().int().min(1).max(100).optional(),
    initial_interval: Duration.optional(),
    backoff_coefficient: z.number().min(1).max(10).optional(),
  })
  .strict();

export const NodeSpec = z
  .object({
    id: Identifier,
    uses: z.string().refine((u): u is NodeKindName => isNodeKind(u), {
      error: (issue) =>
        `unknown activity '${String(issue.input)}'; known: ${Object.keys(NODE_KINDS).join(', ')}`,
    }),
    needs: z.array(Identifier).default([]),
    with: z.record(z.string(), z.unknown()).default({}),
    queue: z.enum(['cpu', 'gpu']).optional(),
    timeout: Duration.optional(),
    heartbeat_timeout: Duration.optional(),
    retry: RetryOverride.optional(),
  })
  .strict();
export type NodeSpec = z.infer<typeof NodeSpec>;

export const QuerySource = z.union([
  z
    .object({
      benchmark: z.string().min(1),
      split: z.string().default('test'),
      limit: z.number().int().min(1).optional(),
    })
    .strict(),
  z
    .object({
      tiny_world: z
        .object({
          seed: z.number().int().default(0),
          per_family: z.number().int().min(1).max(100_000),
          split: z.enum(['train', 'test']).default('train'),
        })
        .strict(),
    })
    .strict(),
]);
export type QuerySource = z.infer<typeof QuerySource>;

export const PolicySource = z.union([
  z.object({ checkpoint: z.string().min(1) }).strict(),
  z.object({ hub: z.string().min(1), revision: z.string().default('main') }).strict(),
  z
    .object({
      bootstrap: z
        .object({
          demonstrations: QuerySource,
          /** SFT hyper-parameters (the policy worker's). */
          with: SftHyper.prefault({}),
        })
        .strict(),
    })
    .strict(),
  // Code4Math: SFT of any base (a Hub model or a checkpoint) on CoT and code demonstrations, then EM.
  z
    .object({
      base: BaseModel,
      /** Hub bases only: branch, tag or commit. */
      revision: z.string().default('main'),
      sft: z
        .object({
          demonstrations: DemonstrationsSource,
          /** SFT hyper-parameters (the policy worker's). */
          with: SftHyper.prefault({}),
        })
        .strict(),
    })
    .strict(),
]);
export type PolicySource = z.infer<typeof PolicySource>;

export const InferenceSpec = z.union([
  z
    .object({
      embedded: z
        .object({
          /** 0: free ports. With replicas > 1, replica i listens on port + i. */
          port: z.number().int().min(0).max(65535).default(0),
          /** Serving processes behind one spec (docs/inference-pools.md); 1: the worker's own server. */
          replicas: z.number().int().min(1).max(64).default(1),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      endpoints: z.array(z.url()).min(1),
      model: z.string().min(1),
      max_concurrency: z.number().int().min(1).default(64),
    })
    .strict(),
]);

export const PipelineSpec = z
  .object({
    name: Identifier,
    description: z.string().optional(),
    iterations: z.number().int().min(1).max(100),
    seed: z.number().int().default(0),
    storage_root: z.string().optional(),
    policy: PolicySource,
    inference: InferenceSpec,
    queries: z
      .object({ train: z.array(QuerySource).min(1), eval: z.array(QuerySource).default([]) })
      .strict(),
    /**
     * The prompt format of the run, for every rollouts and evaluate node (the E-step's no-hint prompt is
     * the native rollouts', so one format holds for training and evaluation). A `prompt` in
     * `defaults.<kind>` or a node's `with` replaces it. Absent: raw.
     */
    prompt: PromptSpec.optional(),
    /** Parameters every node of a kind starts from; a node's own `with` overrides them. */
    defaults: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    iteration: z.object({ nodes: z.array(NodeSpec).min(1) }).strict(),
  })
  .strict();
export type PipelineSpec = z.infer<typeof PipelineSpec>;
export type PipelineSpecInput = z.input<typeof PipelineSpec>;
