// The sweep's plan: one EM run per (method, seed) with a deterministic id and its spec overrides,
// and which of them already finished with that very input (so a re-run of the sweep skips them).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../engines/store/canonical';
import type { AblationMethod, AblationRun, AblationSweep } from '../../schemas/ablation';
import { resolveRunSpec } from '../run/prepare';

/** The spec behind each method (pipelines/<name>.yaml): same bootstrap, queries and rollout budget. */
export const METHOD_SPECS: Record<AblationMethod, string> = {
  autocode: 'tiny',
  no_reflective: 'tiny-no-reflective',
  plain_rl: 'tiny-plain-rl',
};

export function ablationRunId(id: string, method: AblationMethod, seed: number): string {
  return `${id}-${method}-s${seed}`;
}

/** Spec fields the sweep sets on every run (a user override of them would be silently replaced). */
export const SWEEP_OWNED = [
  'iterations',
  'seed',
  'defaults.policy_update.seed',
  'defaults.evaluate.selection_labels',
  'policy.bootstrap.with.seed',
];

/**
 * A run's overrides: the sweep's own after the user's. The run `seed` drives rollouts and the E-step
 * (it never reaches the bootstrap, whose key is its demonstrations and `policy.bootstrap.with`); the
 * update's data order follows it too, so each seed is a whole independent EM trajectory.
 */
export function runOverrides(sweep: AblationSweep, seed: number): Record<string, unknown> {
  const o: Record<string, unknown> = {
    ...sweep.overrides,
    iterations: sweep.iterations,
    seed,
    'defaults.policy_update.seed': seed,
    'defaults.evaluate.selection_labels': sweep.selection_labels,
  };
  if (sweep.bootstrap === 'per_seed') o['policy.bootstrap.with.seed'] = seed;
  return o;
}

/** The runs in order: method by method, seed by seed (each method's seeds finish together). */
export function planRuns(
  sweep: AblationSweep,
  id: string,
  finished: (run: Omit<AblationRun, 'finished'>) => boolean,
): AblationRun[] {
  return sweep.methods.flatMap((method) =>
    sweep.seeds.map((seed) => {
      const run = {
        run_id: ablationRunId(id, method, seed),
        method,
        seed,
        spec: METHOD_SPECS[method],
        overrides: runOverrides(sweep, seed),
      };
      return { ...run, finished: finished(run) };
    }),
  );
}

/**
 * Whether var/runs/<run>/ holds a completed run of exactly this input: its report.json (written
 * when the run ends) covers every iteration, is not older than spec.json (written whenever the run
 * starts), and spec.json records the same spec and overrides, resolved to the same content (an
 * edited spec file makes its runs unfinished).
 */
export function runFinished(
  runsRoot: string,
  run: Pick<AblationRun, 'run_id' | 'spec' | 'overrides'>,
  iterations: number,
): boolean {
  const dir = join(runsRoot, run.run_id.replaceAll('/', '_'));
  const specPath = join(dir, 'spec.json');
  const reportPath = join(dir, 'report.json');
  if (!existsSync(specPath) || !existsSync(reportPath)) return false;
  try {
    if (statSync(reportPath).mtimeMs < statSync(specPath).mtimeMs) return false;
    const recorded = JSON.parse(readFileSync(specPath, 'utf8')) as {
      input?: { spec?: string; overrides?: Record<string, unknown> };
      spec?: unknown;
    };
    if (recorded.input?.spec !== run.spec) return false;
    if (canonicalJson(recorded.input.overrides ?? {}) !== canonicalJson(run.overrides)) return false;
    // prepareRun records resolveRunSpec's output: compare with what it would record today.
    const current = JSON.parse(JSON.stringify(resolveRunSpec(run)));
    if (canonicalJson(recorded.spec ?? null) !== canonicalJson(current)) return false;
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { iterations?: { iteration: number }[] };
    return (report.iterations ?? []).some((i) => i.iteration === iterations);
  } catch {
    return false; // a half-readable record is not a finished run: run it (its nodes are cache hits)
  }
}
