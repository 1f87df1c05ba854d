// Wire types of the `behavior_logprobs` activity (queue `gpu`, Python): behaviour log-probs of every
// train row recomputed by the iteration's starting policy in its exact training context, and the
// record of how far the sampler's own log-probs were from them where the context did not change.
// snake_case: they cross to Python, which validates against schemas/json and takes defaults from there.
import { z } from 'zod';
import { CheckpointRef, Device, DType } from './policy';
import { DatasetRef } from './store';

/**
 * The node's parameters (a node's `with` passes through unchanged). Defaults: the authors rescore
 * every training pair with the starting model, so the importance ratio is 1 at the start of each update.
 */
export const BehaviorParams = z
  .object({
    /** As the update's: the trainer's numerics (float32 weights, bf16 autocast on CUDA under auto). */
    device: Device.default('auto'),
    dtype: DType.default('auto'),
    micro_batch_size: z.number().int().min(1).default(16),
    /**
     * all (authors): every row gets the recomputed log-probs. changed: rows whose context is unchanged
     * (train column `rescore` false) keep the sampler's, so the ratio also corrects sampler/trainer drift.
     */
    rescore_rows: z.enum(['all', 'changed']).default('all'),
    /** A loss token of an unchanged row drifts when |sampler - recomputed| exceeds this (nats; e^0.5 = 1.65, past the 1.2 clamp). */
    drift_threshold: z.number().gt(0).default(0.5),
    /** The node fails when more than this share of compared tokens drift (1: never). */
    drift_limit: z.number().min(0).max(1).default(0.02),
  })
  .strict();
export type BehaviorParams = z.input<typeof BehaviorParams>;

export const BehaviorLogprobsInput = BehaviorParams.extend({
  /** The iteration's starting policy (the one the update starts from). */
  policy: CheckpointRef,
  /** Train set: prompt_token_ids, response_token_ids, loss_mask, behavior_logprobs (, rescore, query_id, sample_id). */
  train: DatasetRef,
}).strict();
export type BehaviorLogprobsInput = z.input<typeof BehaviorLogprobsInput>;

const nullableNumber = z.number().nullable();

export const BehaviorMetrics = z
  .object({
    rows: z.number().int(),
    /** Rows whose context differs from the sampled one (column `rescore`; every row without it). */
    changed_rows: z.number().int(),
    /** Rows written with the recomputed log-probs. */
    rescored_rows: z.number().int(),
    /** False when the train set has no `rescore` column (every row counted as changed, no drift record). */
    rescore_column: z.boolean(),
    /** Loss tokens of changed rows with a recorded log-prob, and their mean |recorded - recomputed|. */
    changed_tokens: z.number().int(),
    changed_mean_abs: nullableNumber,
    /** Median over changed rows of exp(recomputed - recorded) at the first loss token: the step-0 ratio without rescoring. */
    changed_first_ratio_median: nullableNumber,
    /** The validated behaviour record, on loss tokens of unchanged rows: sampler vs recomputed. */
    drift_rows: z.number().int(),
    drift_tokens: z.number().int(),
    drift_mean_abs: nullableNumber,
    drift_max_abs: nullableNumber,
    /** Share of drift_tokens whose |difference| exceeds drift_threshold. */
    drift_share_above: nullableNumber,
    drift_threshold: z.number(),
    drift_limit: z.number(),
    /** Where the largest difference is: the row's query and sample, the response token index. */
    drift_worst_query_id: z.string().nullable(),
    drift_worst_sample_id: z.string().nullable(),
    drift_worst_token: z.number().int().nullable(),
    /** True when the rescored train set already existed at its content address (the record is recomputed from it). */
    cached: z.boolean(),
  })
  .strict();
export type BehaviorMetrics = z.infer<typeof BehaviorMetrics>;

export const BehaviorLogprobsOutput = z.object({ dataset: DatasetRef, metrics: BehaviorMetrics }).strict();
export type BehaviorLogprobsOutput = z.infer<typeof BehaviorLogprobsOutput>;
