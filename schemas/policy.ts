// Wire types of the policy activities on task queue `gpu` (Python): serve a checkpoint, bootstrap SFT,
// the off-policy update (M-step), log-probs for a dataset that lacks them. snake_case: they cross to
// Python, which validates them against schemas/json and takes the defaults from there.
import { z } from 'zod';
import { PolicyRef } from './run';
import { DatasetRef } from './store';

/**
 * A checkpoint as a policy job's input: the run's one policy reference (PolicyRef, an HF-format
 * directory, normally store:checkpoints/<key> in the store, and its key), where a job run by hand may leave
 * the key to the worker (it derives the checkpoint's identity), plus the manifest's sha256.
 */
export const CheckpointRef = PolicyRef.partial({ key: true })
  .extend({
    /** sha256 of the checkpoint's _manifest.json; absent for checkpoints from outside the store. */
    sha256: z.string().optional(),
  })
  .strict();
export type CheckpointRef = z.input<typeof CheckpointRef>;

export const Device = z.enum(['auto', 'cpu', 'cuda']);
/** auto: bfloat16 on CUDA, float32 on CPU. */
export const DType = z.enum(['auto', 'float32', 'bfloat16']);

/** The tiny-world model (a Llama-style decoder built from a config; nothing downloaded). */
export const TinyModelConfig = z
  .object({
    hidden_size: z.number().int().min(8).default(128),
    num_hidden_layers: z.number().int().min(1).default(4),
    num_attention_heads: z.number().int().min(1).default(4),
    intermediate_size: z.number().int().min(8).default(512),
    /** Byte-level BPE trained on the demonstrations; 258 is the floor (256 bytes + 2 specials). */
    vocab_size: z.number().int().min(258).default(384),
    max_position_embeddings: z.number().int().min(16).default(512),
  })
  .strict();

// Field names follow the pipeline spec's update parameters (schemas/nodes.ts), so a node's
// `with` passes through unchanged.
const trainShape = {
  device: Device.default('auto'),
  dtype: DType.default('auto'),
  epochs: z.number().gt(0).default(1),
  /** Stop after this many optimizer steps (the schedule is laid out over the smaller of this and the epochs). */
  max_steps: z.number().int().min(1).optional(),
  /** Sequences per forward pass. */
  batch_size: z.number().int().min(1).default(16),
  /** Forward passes per optimizer step: a step sees batch_size x grad_accum sequences. */
  grad_accum: z.number().int().min(1).default(1),
  warmup_ratio: z.number().min(0).max(1).default(0.03),
  weight_decay: z.number().min(0).default(0),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.95),
  grad_clip: z.number().gt(0).default(1),
  /** Sequences are cut to this many tokens (prompt + response). */
  max_length: z.number().int().min(2).default(2000),
  seed: z.number().int().default(0),
  /** A step checkpoint every this many optimizer steps (and at cancellation). */
  checkpoint_every: z.number().int().min(1).default(50),
  /**
   * How a step's token losses become one loss. sample_mean: each sample's token mean, then the mean
   * over the step's sequences (the authors'); token_mean: the mean over every loss-bearing token of
   * the step (longer responses weigh more).
   */
  loss_reduction: z.enum(['sample_mean', 'token_mean']).default('token_mean'),
  /**
   * Training processes: unset or 1, the worker's own process; N, N torch.distributed ranks on this
   * host under torchrun, each taking its share of every optimizer step's sequences (the same global
   * batch, DDP gradient averaging). Not part of the checkpoint's identity: any rank count trains the
   * same update (docs/distributed-update.md).
   */
  ranks: z.number().int().min(1).max(64).optional(),
  /** Collective backend of the ranks; unset or auto: nccl with CUDA, else gloo. */
  backend: z.enum(['auto', 'gloo', 'nccl']).optional(),
};

export const SftHyper = z
  .object({
    ...trainShape,
    // The tiny-world probe's figures (DESIGN.md): batch 32, lr 3e-3, AdamW(0.9, 0.95), wd 0.1.
    batch_size: z.number().int().min(1).default(32),
    lr: z.number().gt(0).default(3e-3),
    weight_decay: z.number().min(0).default(0.1),
  })
  .strict();

export const UpdateHyper = z
  .object({
    ...trainShape,
    // The authors' settings: lr 2e-5, cosine, 3% warm-up, one epoch, 128 sequences per optimizer
    // step (16 per pass x 8 passes), AdamW beta2 0.999, no weight decay, per-sample token-mean loss.
    grad_accum: z.number().int().min(1).default(8),
    beta2: z.number().min(0).lt(1).default(0.999),
    loss_reduction: z.enum(['sample_mean', 'token_mean']).default('sample_mean'),
    lr: z.number().gt(0).default(2e-5),
    /**
     * lr of the updates from the second EM iteration on (the authors use a separate, smaller one for
     * the consecutive iterations); unset: `lr` in every iteration.
     */
    lr_later: z.number().gt(0).optional(),
    /** clamp_above: rho detached and clamped above at ratio_upper (the authors'); ppo: symmetric clipped surrogate. */
    ratio_clip: z.enum(['clamp_above', 'ppo']).default('clamp_above'),
    ratio_upper: z.number().min(1).default(1.2),
    ppo_epsilon: z.number().gt(0).max(1).default(0.2),
  })
  .strict();
export type UpdateHyper = z.input<typeof UpdateHyper>;

export const TrainMetrics = z
  .object({
    /** Optimizer steps of the whole run (including those done before a resume). */
    steps: z.number().int(),
    /** The step checkpoint this attempt resumed from (0: from scratch). */
    resumed_from_step: z.number().int(),
    examples: z.number().int(),
    /** Examples dropped because nothing of their response was left to train on after truncation. */
    skipped_examples: z.number().int(),
    /** Tokens (prompt + response, without padding) this attempt processed. */
    tokens: z.number().int(),
    train_seconds: z.number(),
    tokens_per_s: z.number(),
    final_loss: z.number().nullable(),
    /** Update only: mean importance ratio and the share of tokens whose ratio was clipped. */
    mean_ratio: z.number().nullable().optional(),
    clipped_fraction: z.number().nullable().optional(),
    /** True when the checkpoint already existed at its content address and nothing ran. */
    cached: z.boolean(),
  })
  .strict();
export type TrainMetrics = z.infer<typeof TrainMetrics>;

export const PolicySftInput = z
  .object({
    /** Demonstrations: prompt, response (optional mask_spans, weight); see docs/policy.md. */
    demonstrations: DatasetRef,
    /** Continue from this checkpoint; without it a tiny-world model is built from `tiny`. */
    base_policy: CheckpointRef.optional(),
    tiny: TinyModelConfig.prefault({}),
    hyper: SftHyper.prefault({}),
  })
  .strict();
export type PolicySftInput = z.input<typeof PolicySftInput>;

/** A trained checkpoint always has its store key (the worker wrote it to the store). */
export const PolicyTrainOutput = z
  .object({ checkpoint: CheckpointRef.required({ key: true }), metrics: TrainMetrics })
  .strict();
export type PolicyTrainOutput = z.infer<typeof PolicyTrainOutput>;

export const PolicyUpdateInput = z
  .object({
    /** The policy the train set's behaviour log-probs came from (the update starts from it). */
    policy: CheckpointRef,
    /** Train set: prompt_token_ids, response_token_ids, loss_mask, behavior_logprobs, advantage (, weight). */
    train: DatasetRef,
    hyper: UpdateHyper.prefault({}),
    /** The EM iteration this update belongs to (1-based): from 2 on, `hyper.lr_later` applies. */
    iteration: z.number().int().min(1).default(1),
  })
  .strict();
export type PolicyUpdateInput = z.input<typeof PolicyUpdateInput>;

export const PolicyLogprobsInput = z
  .object({
    policy: CheckpointRef,
    /** Any dataset with prompt_token_ids and response_token_ids; behavior_logprobs is (re)computed. */
    dataset: DatasetRef,
    device: Device.default('auto'),
    dtype: DType.default('auto'),
    micro_batch_size: z.number().int().min(1).default(16),
  })
  .strict();
export type PolicyLogprobsInput = z.input<typeof PolicyLogprobsInput>;

export const PolicyLogprobsOutput = z
  .object({
    dataset: DatasetRef,
    cached: z.boolean(),
  })
  .strict();
export type PolicyLogprobsOutput = z.infer<typeof PolicyLogprobsOutput>;

export const PolicyLoadInput = z
  .object({
    checkpoint: CheckpointRef,
    host: z.string().default('127.0.0.1'),
    /** 0: the worker picks a free port the first time, and keeps it. */
    port: z.number().int().min(0).max(65535).default(0),
    served_model_name: z.string().min(1).default('policy'),
    device: Device.default('auto'),
    dtype: DType.default('auto'),
    max_batch_size: z.number().int().min(1).max(1024).default(64),
    /**
     * Serving processes (docs/inference-pools.md). 1: this worker's own in-process server, as always;
     * N > 1: N child servers (their own device each where there are several), replica i on port + i.
     */
    replicas: z.number().int().min(1).max(64).default(1),
  })
  .strict();
export type PolicyLoadInput = z.input<typeof PolicyLoadInput>;

export const PolicyLoadOutput = z
  .object({
    /** OpenAI-compatible base URL (…/v1); see schemas/inference.ts. */
    base_url: z.string(),
    /** Every serving process's base URL (…/v1), base_url first; absent: [base_url]. */
    base_urls: z.array(z.string()).min(1).optional(),
    model: z.string(),
    checkpoint: CheckpointRef,
    weights_version: z.number().int(),
    /** False when the server was started by this call, true when it swapped weights in a running server. */
    reloaded: z.boolean(),
    device: z.string(),
    dtype: z.string(),
    max_model_len: z.number().int(),
  })
  .strict();
export type PolicyLoadOutput = z.infer<typeof PolicyLoadOutput>;
