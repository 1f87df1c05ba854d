// The ablation sweep's input (one JSON object: the CLI's flags, or the Web UI's form) and what its
// planning and table activities return. Validated by the `ablationPlan` activity.
import { z } from 'zod';

/** The paper's ablation rows: AutoCode, AutoCode without self-reflective samples, plain RL. */
export const ABLATION_METHODS = ['autocode', 'no_reflective', 'plain_rl'] as const;
export type AblationMethod = (typeof ABLATION_METHODS)[number];

const RunId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - (no spaces or /)');

export const AblationSweepInput = z
  .object({
    /** Names the sweep and prefixes its run ids (`<id>-<method>-s<seed>`); default: the workflow id. */
    id: RunId.optional(),
    /** Seeds of the EM iterations (rollouts, E-step, update data order). */
    seeds: z.array(z.number().int().min(0)).min(1).default([0, 1, 2]),
    methods: z
      .array(z.enum(ABLATION_METHODS))
      .min(1)
      .default([...ABLATION_METHODS]),
    iterations: z.number().int().min(1).max(100).default(2),
    /** k of the evaluation's selection labels, set on every run (see pipelines/tiny-no-reflective.yaml). */
    selection_labels: z.number().int().min(0).max(64).default(4),
    /**
     * shared: one bootstrapped checkpoint for every seed (the specs' bootstrap seed); per_seed: the
     * bootstrap SFT's own seed is the run seed, so each seed starts from its own checkpoint.
     */
    bootstrap: z.enum(['shared', 'per_seed']).default('shared'),
    /** Dotted spec overrides applied to every run before the sweep's own (e.g. smaller query sets). */
    overrides: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .refine((i) => new Set(i.seeds).size === i.seeds.length, { message: 'seeds repeat', path: ['seeds'] })
  .refine((i) => new Set(i.methods).size === i.methods.length, {
    message: 'methods repeat',
    path: ['methods'],
  });
export type AblationSweepInput = z.input<typeof AblationSweepInput>;
export type AblationSweep = z.output<typeof AblationSweepInput>;

/** One (method, seed) EM run of the sweep. */
export interface AblationRun {
  run_id: string;
  method: AblationMethod;
  seed: number;
  /** The spec name under pipelines/. */
  spec: string;
  overrides: Record<string, unknown>;
  /** A run with this input already completed (var/runs/<run>/): the sweep skips it. */
  finished: boolean;
}

export interface AblationPlan {
  id: string;
  iterations: number;
  runs: AblationRun[];
}

export type AblationRunState = 'pending' | 'running' | 'done' | 'skipped' | 'failed';

/** What an `ablationSweep` answers to the `progress` query. */
export interface AblationProgress {
  id: string;
  stage: string;
  runs: { run_id: string; method: AblationMethod; seed: number; state: AblationRunState; error?: string }[];
}

export interface AblationResult {
  id: string;
  /** var/ablations/<id>/table.md and table.json. */
  table_md: string;
  table_json: string;
  markdown: string;
  failed: string[];
}
