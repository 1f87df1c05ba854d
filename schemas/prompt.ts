// The prompt format of a run: `raw` renders the text templates (schemas/rollout.ts PromptTemplates) and
// tokenizes the text; `chat` sends [system?, user] messages to the server's /tokenize, which applies the
// served model's own chat template (vLLM's chat form of /tokenize; the embedded server does the same with
// transformers' apply_chat_template). Named presets carry each model family's system message and stop
// strings (docs/prompts.md says where each comes from).
import { z } from 'zod';

export const PromptFormat = z.enum(['raw', 'chat']);
export type PromptFormat = z.infer<typeof PromptFormat>;

/** Qwen2.5-Math's tool-integrated-reasoning system prompt (its model card). */
export const QWEN_MATH_TIR_SYSTEM =
  'Please integrate natural language reasoning with programs to solve the problem above, and put your final answer within \\boxed{}.';
/** Qwen2.5-Math's chain-of-thought system prompt (its model card; also its template's default). */
export const QWEN_MATH_COT_SYSTEM = 'Please reason step by step, and put your final answer within \\boxed{}.';

export interface ResolvedPrompt {
  format: PromptFormat;
  /** The system message of the chat format; null: none (the template may add its own default). */
  system: string | null;
  /** Stop strings added to every completion request (the tool-call stop is always there). */
  stop: string[];
}

// End-of-turn markers as stop strings: the servers already stop on the EOS ids of generation_config;
// these guard servers that ignore it (and are never matched when special tokens are not detokenized).
const CHATML_STOP = ['<|im_end|>', '<|endoftext|>'];

export const PROMPT_PRESETS = {
  /** Today's text prompt (`User: … Assistant:`): the tiny world's, and any tokenizer without a template. */
  raw: { format: 'raw', system: null, stop: [] },
  /** Qwen2.5-Math-Instruct: ChatML with the tool-integrated system prompt (the ```output convention is TIR's). */
  qwen25_math: { format: 'chat', system: QWEN_MATH_TIR_SYSTEM, stop: CHATML_STOP },
  /** Qwen2.5-Math-Instruct with the chain-of-thought system prompt instead. */
  qwen25_math_cot: { format: 'chat', system: QWEN_MATH_COT_SYSTEM, stop: CHATML_STOP },
  /** Qwen2-Math-Instruct: ChatML with the card's generic system message. */
  qwen2_math: { format: 'chat', system: 'You are a helpful assistant.', stop: CHATML_STOP },
  /** DeepSeekMath-Instruct: `User: …\n\nAssistant:` from its template, no system message. */
  deepseek_math: { format: 'chat', system: null, stop: ['<｜end▁of▁sentence｜>'] },
  /** Llama-3.1-Instruct: header tokens from its template (which adds its own dated system block). */
  llama31: { format: 'chat', system: null, stop: ['<|eot_id|>', '<|end_of_text|>'] },
} as const satisfies Record<string, ResolvedPrompt>;
export type PromptPresetName = keyof typeof PROMPT_PRESETS;
export const PROMPT_PRESET_NAMES = Object.keys(PROMPT_PRESETS) as PromptPresetName[];

/**
 * The spec's `prompt`: a preset, and fields that override it. Absent entirely: `raw`, no extra stops,
 * which is the request the engine sent before this field existed.
 */
export const PromptSpec = z
  .object({
    preset: z
      .enum(PROMPT_PRESET_NAMES as [PromptPresetName, ...PromptPresetName[]], {
        error: (issue) =>
          `unknown prompt preset ${JSON.stringify(issue.input)}; known: ${PROMPT_PRESET_NAMES.join(', ')}`,
      })
      .optional(),
    format: PromptFormat.optional(),
    /** The chat format's system message; null drops a preset's. */
    system: z.string().min(1).nullable().optional(),
    /** Replaces the preset's stop strings. */
    stop: z.array(z.string().min(1)).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const r = resolvePrompt(p);
    if (r.format === 'raw' && r.system !== null) {
      ctx.addIssue({
        code: 'custom',
        path: ['system'],
        message:
          'a system message needs format chat (raw prompts take templates.system in a chatml template)',
      });
    }
  });
export type PromptSpec = z.infer<typeof PromptSpec>;
export type PromptSpecInput = z.input<typeof PromptSpec>;

/** The format, system message and stop strings a (validated) prompt spec stands for. */
export function resolvePrompt(spec: PromptSpec | undefined): ResolvedPrompt {
  const base: ResolvedPrompt = PROMPT_PRESETS[spec?.preset ?? 'raw'] ?? PROMPT_PRESETS.raw;
  return {
    format: spec?.format ?? base.format,
    system: spec?.system === undefined ? base.system : spec.system,
    stop: [...(spec?.stop ?? base.stop)],
  };
}
