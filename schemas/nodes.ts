// The parameter schemas of the node kinds (a node's `with` over the spec's defaults): one zod source
// for the spec validator, the generated JSON Schema, and the typed parameters a node receives.
import { z } from 'zod';
import { BehaviorParams as BehaviorWire } from './behavior';
import { EstimateParams as EmEstimateParams, SynthesizeParams as EmSynthesizeParams } from './em';
import { ExtractionPolicy } from './grader';
import { UpdateHyper } from './policy';
import { PromptSpec } from './prompt';
import { PromptTemplates, RolloutParams } from './rollout';

/** A rollout node: the engine's parameters plus how the activity shards and runs code. */
export const RolloutsParams = RolloutParams.extend({
  /** Queries per shard: the unit of on-disk progress and of redone work after a crash. */
  shard_size: z.number().int().min(1).default(64),
  /** Wall limit of one code execution (the authors': 5 s). */
  code_timeout_s: z.number().positive().max(60).default(5),
  /**
   * Which answers the reward takes as the response's final one (docs/grader.md). Default strict: only
   * answers the response marks as final (boxed, an answer statement, `#### n`, the final code output);
   * a reward that also took the last number would pay the policy for not marking its answer.
   */
  extraction: ExtractionPolicy.default('strict'),
  /**
   * Serve a deterministic program's result again when a sample of the run writes it again (the
   * run's execution cache, docs/sandbox.md): byte-identical output, so not part of the content key.
   * false runs every program.
   */
  execution_cache: z.boolean().default(true),
})
  .strict()
  // The budget compares the two dictated methods of a query within one node: set elsewhere it would
  // be accepted and do nothing (docs/adaptive-budget.md).
  .refine(
    (p) => !p.adaptive.enabled || (p.modes.includes('dictated_cot') && p.modes.includes('dictated_code')),
    {
      message: "adaptive.enabled needs both dictated_cot and dictated_code in this node's modes",
      path: ['adaptive', 'enabled'],
    },
  );

// The E-step's parameters live with their functions; the run's seed is added by the workflow.
export const EstimateParams = EmEstimateParams.omit({ seed: true });
export const SynthesizeParams = EmSynthesizeParams.omit({ seed: true });

/** Rescoring's parameters are the policy worker's own, like the update's. */
export const BehaviorParams = BehaviorWire;

/** The M-step's parameters are the policy worker's own (a node's `with` passes through unchanged). */
export const UpdateParams = UpdateHyper;

export const EvaluateParams = z
  .object({
    modes: z
      .array(z.enum(['cot', 'code', 'auto']))
      .min(1)
      .default(['cot', 'code', 'auto']),
    max_tokens: z.number().int().min(1).default(2000),
    max_rounds: z.number().int().min(1).max(20).default(5),
    limit: z.number().int().min(1).optional(),
    /** k: Monte-Carlo samples per query in each dictated mode for selection labels (0: none; paper: 10). */
    selection_labels: z.number().int().min(0).max(64).default(0),
    /** Sampling of the selection samples (the rollouts' defaults: the authors' 1.0 and 0.95). */
    selection_temperature: z.number().min(0).default(1),
    selection_top_p: z.number().gt(0).max(1).default(0.95),
    /**
     * Which evaluations of a run draw the selection labels: every one (iteration 0 included), or only
     * the last iteration's (the paper reports selection for its final models; labels cost k x 2
     * sampled rollouts per query).
     */
    selection_at: z.enum(['every', 'last']).default('every'),
    templates: PromptTemplates.prefault({}),
    /** The same prompt format as the rollouts' (a spec-level `prompt` sets both). */
    prompt: PromptSpec.optional(),
    /**
     * Which answers count as a response's final one when it is graded (docs/grader.md). Default
     * lenient: an evaluation measures whether the model solved the problem, so an unmarked final
     * answer (the last math expression, the last number) counts; nothing is trained on these grades.
     * The selection samples are graded the same way.
     */
    extraction: ExtractionPolicy.default('lenient'),
  })
  .strict()
  .refine((p) => p.selection_labels === 0 || p.modes.includes('auto'), {
    message: "selection_labels needs the auto mode (the choice is the auto response's method)",
    path: ['selection_labels'],
  });
export type EvaluateParams = z.infer<typeof EvaluateParams>;
