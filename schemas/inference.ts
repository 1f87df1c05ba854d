// The inference protocol the rollout engine speaks: OpenAI-compatible completions with vLLM's token-id
// extensions, vLLM's /tokenize, and SGLang's weight reload. The embedded policy server (gpu/) serves
// exactly this; vLLM and SGLang servers serve it at scale.
//
// Tool-call convention (ToRA / Qwen-Math): the model writes a ```python block and then opens
// "```output"; generation stops on that string (kept in the output, so its tokens carry the model's
// log-probs), the engine runs the code and appends "\n<output>\n```\n" as tool tokens (loss mask 0),
// then continues from the full token sequence.
import { z } from 'zod';

export const TOOL_OUTPUT_STOP = '```output';

export const CompletionRequest = z
  .object({
    model: z.string(),
    /** Text, or token ids (continuation turns always send ids so nothing is retokenized). */
    prompt: z.union([z.string(), z.array(z.number().int().min(0))]),
    n: z.number().int().min(1).max(64).default(1),
    temperature: z.number().min(0).default(1),
    top_p: z.number().gt(0).max(1).default(1),
    max_tokens: z.number().int().min(1).default(16),
    stop: z.union([z.string(), z.array(z.string())]).optional(),
    seed: z.number().int().optional(),
    /** Number of top alternatives; 0 still returns the sampled token's log-prob. */
    logprobs: z.number().int().min(0).max(20).nullable().optional(),
    /** vLLM extension: choices carry token_ids (and prompt_token_ids). */
    return_token_ids: z.boolean().optional(),
    /** vLLM extension: keep the matched stop string at the end of the text and token ids. */
    include_stop_str_in_output: z.boolean().optional(),
  })
  .passthrough();
export type CompletionRequest = z.input<typeof CompletionRequest>;

export const CompletionChoice = z.object({
  index: z.number().int(),
  text: z.string(),
  finish_reason: z.enum(['stop', 'length']).nullable(),
  /** vLLM: the stop string (or token id) that ended generation, null on EOS. */
  stop_reason: z.union([z.string(), z.number(), z.null()]).optional(),
  logprobs: z
    .object({
      tokens: z.array(z.string()),
      token_logprobs: z.array(z.number().nullable()),
      top_logprobs: z.array(z.record(z.string(), z.number())).nullable().optional(),
      text_offset: z.array(z.number()).optional(),
    })
    .nullable(),
  token_ids: z.array(z.number().int()).optional(),
  prompt_token_ids: z.array(z.number().int()).nullable().optional(),
});
export type CompletionChoice = z.infer<typeof CompletionChoice>;

export const CompletionResponse = z.object({
  id: z.string(),
  object: z.literal('text_completion'),
  created: z.number(),
  model: z.string(),
  choices: z.array(CompletionChoice),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() }),
});
export type CompletionResponse = z.infer<typeof CompletionResponse>;

/** POST /tokenize (vLLM): text. */
export const TokenizeRequest = z.object({
  model: z.string().optional(),
  prompt: z.string(),
  add_special_tokens: z.boolean().default(false),
});

export const ChatMessage = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/**
 * POST /tokenize (vLLM's chat form): the messages rendered by the served model's chat template, then
 * tokenized. add_special_tokens is false as in vLLM: a chat template writes its own BOS. SGLang's
 * /tokenize takes text only; with SGLang use `prompt.format: raw` and a template (docs/prompts.md).
 */
export const TokenizeChatRequest = z.object({
  model: z.string().optional(),
  messages: z.array(ChatMessage).min(1),
  add_generation_prompt: z.boolean().default(true),
  add_special_tokens: z.boolean().default(false),
});
export const TokenizeResponse = z
  .object({ tokens: z.array(z.number().int()), count: z.number().int() })
  .passthrough();

/** POST /update_weights_from_disk (SGLang): serve another checkpoint without restarting. */
export const ReloadRequest = z.object({ model_path: z.string(), load_format: z.string().optional() });
export const ReloadResponse = z.object({ success: z.boolean(), message: z.string() });

/** Errors: HTTP 4xx/5xx with this body (OpenAI shape). */
export const ErrorResponse = z.object({
  error: z.object({ message: z.string(), type: z.string(), code: z.number().int().optional() }),
});
