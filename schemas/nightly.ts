// Nightly evaluations: what a schedule's run records and how one night is compared with the last.
import { z } from 'zod';
import { Metrics } from './run';

/** One metric that dropped by more than the schedule's threshold since the previous night. */
export const Regression = z
  .object({ metric: z.string(), previous: z.number(), current: z.number(), drop: z.number() })
  .strict();
export type Regression = z.infer<typeof Regression>;

/** One night in var/nightly/<schedule>/history.json. */
export const NightlyRecord = z
  .object({
    eval_id: z.string().min(1),
    /** ISO time the evaluation finished. */
    at: z.string(),
    /** The policy evaluated; `uri` as in PolicyRef (store:checkpoints/<key> or file://). */
    checkpoint: z.object({ uri: z.string(), key: z.string() }).strict(),
    metrics: Metrics,
    /** The night compared with (null on the first night). */
    previous_eval_id: z.string().nullable(),
    threshold: z.number(),
    regressions: z.array(Regression),
  })
  .strict();
export type NightlyRecord = z.infer<typeof NightlyRecord>;

/** Default: an absolute drop of 2 points of accuracy (0.02) marks a regression. */
export const DEFAULT_REGRESSION_THRESHOLD = 0.02;
