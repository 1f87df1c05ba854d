// Parameters of the E-step (estimate and synthesize), with the authors' defaults: the node parameter
// schemas (schemas/nodes.ts) and the pure E-step core (engines/em/) both read them.
import { z } from 'zod';

export const EstimateParams = z.strictObject({
  /** Temperature of the reference strategy; 0 is the hard max (the authors' setting). */
  alpha: z.number().min(0).default(0),
  /** Laplace smoothing s of the native prior: (count + s) / (n_native + 2s). */
  prior_smoothing: z.number().min(0).default(1),
  seed: z.number().int(),
});
export type EstimateParams = z.output<typeof EstimateParams>;
export type EstimateParamsInput = z.input<typeof EstimateParams>;

export const HINT_AFTER_COT = "Sorry, the above solution may be incorrect. It's better to write a program.";
export const HINT_AFTER_CODE =
  "Sorry, the above solution may be incorrect. It's better to simply reason step by step.";

export const SynthesizeParams = z.strictObject({
  /** Emit self-reflective samples (false: the paper's "no self-reflective" ablation). */
  reflective: z.boolean().default(true),
  /** Emit self-exploratory samples. */
  exploratory: z.boolean().default(true),
  /** Selected samples per query (replay copies not counted). */
  max_per_query: z.number().int().min(1).default(8),
  reflective_weight: z.number().min(0).default(1),
  /** Lines of a failed prose attempt kept before the hint (the authors': 10). */
  cut_lines: z.number().int().min(1).default(10),
  /**
   * Also cut a failed prose attempt before the sentence stating its final answer, so the hint
   * follows unfinished work (our deviation: the authors keep 10 lines, which is the whole of a short
   * attempt, and the tiny model learned to apologise after finished answers).
   */
  cut_answer: z.boolean().default(true),
  /**
   * Cut failed code attempts too (by cut_lines and cut_answer; an open code block is then closed).
   * false (the authors'): a failed program is kept whole, through its output and final answer.
   */
  cut_code: z.boolean().default(false),
  hint_after_cot: z.string().min(1).default(HINT_AFTER_COT),
  hint_after_code: z.string().min(1).default(HINT_AFTER_CODE),
  /** Also emit each exploratory sample of a dictated rollout on its original dictated prompt. */
  replay_dictated: z.boolean().default(true),
  /**
   * Outcome RL (the plain-RL ablation): every rollout, of either method, is an exploratory
   * candidate. false (the paper's): only rollouts whose method is the reference decision are.
   */
  keep_other_correct: z.boolean().default(false),
  /**
   * Emit incorrect samples too, with their negative whitened advantages. false emits only correct
   * ones (weights still whitened over every candidate): in the tiny world, negative samples pushed
   * down the shared end-of-answer tokens until responses stopped ending.
   */
  negative_samples: z.boolean().default(true),
  /**
   * A query whose every candidate is correct: 'keep' (the authors') trains it with advantage +1
   * (whitening would give 0); 'drop' leaves it out.
   */
  all_correct: z.enum(['keep', 'drop']).default('keep'),
  seed: z.number().int(),
  /** Whitened advantages are clipped to [-adv_clip, adv_clip] (the authors': 2). */
  adv_clip: z.number().gt(0).default(2),
});
export type SynthesizeParams = z.output<typeof SynthesizeParams>;
export type SynthesizeParamsInput = z.input<typeof SynthesizeParams>;
