// What a report shows, independent of how it is rendered: evaluation metrics per iteration (flat keys
// as the evaluation writes them) and, for EM runs, what the iteration's training nodes recorded.
// One run (iterations 0..n) or one evaluation (a single iteration 0) have the same shape.
import { z } from 'zod';
import { Metrics } from './run';

/** Training figures of one EM iteration, from its rollouts, synthesize, behavior_logprobs and update nodes. */
export const ReportTraining = z
  .object({
    /** Mean reward (fraction correct) of the iteration's rollouts, per mode (dictated_cot, ...). */
    reward: z.record(z.string(), z.number()),
    /** Rollout rows per mode. */
    rollouts: z.record(z.string(), z.number()),
    /** The synthesize node's metrics (samples, exploratory, reflective, replay, ...). */
    synthesize: Metrics.nullable(),
    /** The update node's metrics (final_loss, steps, mean_ratio, ...). */
    update: Metrics.nullable(),
    /** The behavior_logprobs node's metrics: the validated behaviour record (drift_mean_abs, ...). */
    behavior: Metrics.nullable().default(null),
  })
  .strict();
export type ReportTraining = z.infer<typeof ReportTraining>;

export const ReportIteration = z
  .object({
    /** 0 is the starting policy (or the one checkpoint of an evaluation). */
    iteration: z.number().int().min(0),
    /** The evaluated policy's key, when known. */
    policy: z.string().nullable().default(null),
    /** Flat evaluation metrics: `<set>.<mode>.accuracy`, `<set>.selection.macc`, ... */
    metrics: Metrics,
    /** Metric keys flagged as regressions (nightly evaluations); highlighted in the tables. */
    regression: z.array(z.string()).default([]),
    training: ReportTraining.nullable().default(null),
  })
  .strict();
export type ReportIteration = z.infer<typeof ReportIteration>;

export const ReportData = z
  .object({
    kind: z.enum(['run', 'eval']),
    /** Run id or evaluation id. */
    id: z.string().min(1),
    title: z.string().min(1),
    /** One line under the title: spec name, checkpoint. */
    subtitle: z.string().nullable().default(null),
    iterations: z.array(ReportIteration),
  })
  .strict();
export type ReportData = z.infer<typeof ReportData>;
export type ReportDataInput = z.input<typeof ReportData>;
