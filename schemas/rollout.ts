// The rollout engine's types: one row of the `rollouts` dataset, the prompt templates and the sampling
// parameters a pipeline spec embeds, and the inference endpoints the engine talks to. snake_case: these
// cross to Python (the store's Arrow schema and the trainer use the same column names).
import { z } from 'zod';
import { PromptSpec } from './prompt';

export const Mode = z.enum(['dictated_cot', 'dictated_code', 'native']);
export type Mode = z.infer<typeof Mode>;
export const MODES: readonly Mode[] = Mode.options;

export const Method = z.enum(['cot', 'code']);
export type Method = z.infer<typeof Method>;

/**
 * Why a rollout ended. `stop`: EOS or a stop string other than the tool call; `length`: the token budget
 * ran out; `max_rounds`: the model opened another output block after the last allowed code call;
 * `error`: the server rejected a request (4xx) or the tool executor failed (see `error`).
 */
export const FinishReason = z.enum(['stop', 'length', 'max_rounds', 'error']);
export type FinishReason = z.infer<typeof FinishReason>;

/** One sampled response. Arrays in `response_token_ids`, `behavior_logprobs`, `loss_mask` align 1:1. */
export const RolloutRow = z
  .object({
    query_id: z.string(),
    iteration: z.number().int().min(0),
    mode: Mode,
    /** Index of the sample within (query, mode), 0..K-1. */
    sample: z.number().int().min(0),
    /** The first round's method: `code` when it contains a ```python block. */
    method: Method,
    /** Generation requests made for this response (1 when no code ran; 0 when the first was refused). */
    rounds: z.number().int().min(0),
    /** Code blocks executed (output blocks appended). */
    code_calls: z.number().int().min(0),
    prompt_token_ids: z.array(z.number().int().min(0)),
    /** Model text and tool output text, as the trainer sees it. */
    response_text: z.string(),
    /** Model tokens and tool-output tokens, in order. */
    response_token_ids: z.array(z.number().int().min(0)),
    /** Behaviour policy log-prob of each response token; 0 on tool-output tokens. */
    behavior_logprobs: z.array(z.number()),
    /** 1 on model tokens, 0 on tool-output tokens. */
    loss_mask: z.array(z.union([z.literal(0), z.literal(1)])),
    final_answer: z.string().nullable(),
    reward: z.number(),
    finish_reason: FinishReason,
    /** Identifies the behaviour policy (checkpoint key) that generated the response. */
    policy: z.string(),
    error: z.string().nullable(),
  })
  .strict()
  .superRefine((row, ctx) => {
    const n = row.response_token_ids.length;
    if (row.behavior_logprobs.length !== n || row.loss_mask.length !== n) {
      ctx.addIssue({
        code: 'custom',
        message: `response_token_ids (${n}), behavior_logprobs (${row.behavior_logprobs.length}) and loss_mask (${row.loss_mask.length}) must have equal lengths`,
      });
    }
  });
export type RolloutRow = z.infer<typeof RolloutRow>;

/** Column names in order: the store's Arrow schema must use exactly these. */
export const ROLLOUT_COLUMNS = [
  'query_id',
  'iteration',
  'mode',
  'sample',
  'method',
  'rounds',
  'code_calls',
  'prompt_token_ids',
  'response_text',
  'response_token_ids',
  'behavior_logprobs',
  'loss_mask',
  'final_answer',
  'reward',
  'finish_reason',
  'policy',
  'error',
] as const satisfies readonly (keyof RolloutRow)[];

/**
 * How a query becomes a prompt. `template` holds `{question}` and `{instruction}`; the instruction is
 * the mode's dictation suffix (empty for native, and then the separator before it is dropped too).
 * Defaults are the paper's: a base `User: … Assistant:` template and its two dictation suffixes.
 */
export const PromptTemplates = z
  .object({
    format: z.enum(['base', 'chatml', 'custom']).default('base'),
    /** Required when format is `custom`; ignored otherwise. */
    template: z.string().optional(),
    /** System message of the chatml format. */
    system: z
      .string()
      .default('Please integrate natural language reasoning with programs to solve the problem.'),
    instructions: z
      .object({
        dictated_cot: z.string().default("Let's reason step by step."),
        dictated_code: z.string().default("Let's write a program."),
        native: z.string().default(''),
      })
      .strict()
      .prefault({}),
    /** Joins question and instruction. */
    separator: z.string().default(' '),
    /** Whether /tokenize adds BOS etc. Chat formats usually carry their special tokens in the text. */
    add_special_tokens: z.boolean().optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.format === 'custom' && !t.template?.includes('{question}')) {
      ctx.addIssue({
        code: 'custom',
        path: ['template'],
        message: 'a custom template must contain {question}',
      });
    }
  });
export type PromptTemplates = z.infer<typeof PromptTemplates>;
export type PromptTemplatesInput = z.input<typeof PromptTemplates>;

/** Sampling and tool-loop parameters of a rollout activity (embedded in the pipeline spec). */
export const RolloutParams = z
  .object({
    modes: z.array(Mode).min(1).default(['dictated_cot', 'dictated_code', 'native']),
    /** K: responses per (query, mode). */
    samples: z.number().int().min(1).max(64).default(8),
    temperature: z.number().min(0).default(1),
    top_p: z.number().gt(0).max(1).default(0.95),
    /** Base seed; each request derives its own from it. Unset: servers sample freely. */
    seed: z.number().int().min(0).optional(),
    /** Token budget of a whole response (model and tool tokens). */
    max_tokens: z.number().int().min(1).default(2000),
    /** Code calls allowed per response. */
    max_rounds: z.number().int().min(0).default(5),
    /** Bound on one output block's text, in characters. */
    tool_output_max_chars: z.number().int().min(16).default(1024),
    /** Extra stop strings (the tool-call stop is always added; the prompt's are added too). */
    stop: z.array(z.string().min(1)).default([]),
    templates: PromptTemplates.prefault({}),
    /** raw (the templates' text) or chat (the served model's chat template); absent: raw. */
    prompt: PromptSpec.optional(),
    /** Stop sampling dictated modes of a query once its hard-max reference decision is settled. */
    adaptive: z
      .object({
        enabled: z.boolean().default(false),
        /** Samples per dictated mode requested per step while adaptive. */
        chunk: z.number().int().min(1).default(2),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type RolloutParams = z.infer<typeof RolloutParams>;
export type RolloutParamsInput = z.input<typeof RolloutParams>;

/** Where the engine sends generation requests. Every endpoint serves the same policy. */
export const InferenceEndpoints = z
  .object({
    urls: z.array(z.url()).min(1),
    /** The `model` field of requests (vLLM: the served model name). */
    model: z.string().min(1),
    /** Requests in flight per endpoint. */
    concurrency: z.number().int().min(1).default(64),
    /** Wall limit of one HTTP request. */
    timeout_ms: z.number().int().min(1).default(600_000),
    /** Attempts per request, across endpoints (1 = no retry). */
    attempts: z.number().int().min(1).default(6),
    /** First retry delay; doubles per attempt, with jitter, up to backoff_max_ms. */
    backoff_ms: z.number().int().min(0).default(250),
    backoff_max_ms: z.number().int().min(0).default(8000),
  })
  .strict();
export type InferenceEndpoints = z.infer<typeof InferenceEndpoints>;
export type InferenceEndpointsInput = z.input<typeof InferenceEndpoints>;
