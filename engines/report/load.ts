// From what a run or an evaluation left on disk to ReportData. A run's index (var/runs/<run>/) holds
// one JSON per finished node under iter-<k>/ and, once the run ended, report.json; the report reads
// the node files, so it also works for a run that is still going or failed half-way.
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { PATHS, VAR_DIR } from '../../infra/paths';
import type { ReportData, ReportIteration, ReportTraining } from '../../schemas/report';
import { Metrics } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';
import { rewardByMode } from '../rollouts/mode-rewards';
import { resolveUri } from '../store/locate';

/** Where evaluations of single checkpoints are recorded (`var/evals/<id>/result.json`). */
export const EVALS_DIR = join(VAR_DIR, 'evals');

/** A recorded node, read leniently: the report needs only these fields. */
const RecordedNode = z.looseObject({
  node_id: z.string(),
  uses: z.string(),
  output: z.string(),
  metrics: Metrics,
  checkpoint: z.looseObject({ key: z.string() }).nullable().optional(),
  dataset: z.looseObject({ uri: z.string(), rows: z.number() }).nullable().optional(),
});
type RecordedNode = z.infer<typeof RecordedNode>;

const RunSummary = z.looseObject({
  run_id: z.string().optional(),
  spec_name: z.string().optional(),
  iterations: z
    .array(
      z.looseObject({ iteration: z.number().int().min(0), policy: z.string().optional(), metrics: Metrics }),
    )
    .default([]),
});

const EvalResult = z.looseObject({
  eval_id: z.string().min(1),
  checkpoint: z.looseObject({ uri: z.string().optional(), key: z.string().optional() }).nullable().optional(),
  metrics: Metrics,
  regression: z.array(z.string()).optional(),
});

async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not readable as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The runs recorded under a runs directory, sorted. */
export async function listRuns(root: string = PATHS.runs): Promise<string[]> {
  if (!existsSync(root)) return [];
  const names = await readdir(root);
  const runs: string[] = [];
  for (const n of names.sort()) if (await isDir(join(root, n))) runs.push(n);
  return runs;
}

/**
 * A run's directory from its id (or a path to it). A missing run is an error that lists the runs
 * that exist, so a typo is fixed at once.
 */
export async function resolveRunDir(run: string, root: string = PATHS.runs): Promise<string> {
  const byId = join(root, run.replaceAll('/', '_'));
  if (await isDir(byId)) return byId;
  const asPath = resolve(run);
  if (
    (await isDir(asPath)) &&
    (existsSync(join(asPath, 'report.json')) || (await iterationDirs(asPath)).length)
  )
    return asPath;
  const runs = await listRuns(root);
  throw new Error(
    `no run "${run}" under ${root}; ${runs.length ? `runs there: ${runs.join(', ')}` : 'no runs recorded there yet'}`,
  );
}

async function iterationDirs(dir: string): Promise<{ iteration: number; path: string }[]> {
  if (!existsSync(dir)) return [];
  const out: { iteration: number; path: string }[] = [];
  for (const name of await readdir(dir)) {
    const m = /^iter-(\d+)$/.exec(name);
    if (m && (await isDir(join(dir, name)))) out.push({ iteration: Number(m[1]), path: join(dir, name) });
  }
  return out.sort((a, b) => a.iteration - b.iteration);
}

/**
 * Mean reward per mode over the iteration's rollouts nodes (weighted by their rows), the synthesize
 * node's, the behavior_logprobs node's and the update node's metrics; null when the iteration ran none of them (iteration 0).
 */
export function trainingFromNodes(nodes: readonly RecordedNode[]): ReportTraining | null {
  const rollouts = nodes.filter((n) => n.uses === 'rollouts');
  const synth = nodes.find((n) => n.uses === 'synthesize');
  const update = nodes.find((n) => n.output === 'checkpoint');
  const behavior = nodes.find((n) => n.uses === 'behavior_logprobs');
  if (rollouts.length === 0 && !synth && !update) return null;
  const sums = new Map<string, { rows: number; reward: number }>();
  for (const node of rollouts) {
    for (const [key, value] of Object.entries(node.metrics)) {
      const mode = /^reward\.(.+)$/.exec(key)?.[1];
      const rows = node.metrics[`rows.${mode}`];
      if (!mode || typeof value !== 'number' || typeof rows !== 'number') continue;
      const s = sums.get(mode) ?? { rows: 0, reward: 0 };
      s.rows += rows;
      s.reward += value * rows;
      sums.set(mode, s);
    }
  }
  const reward: Record<string, number> = {};
  const counts: Record<string, number> = {};
  for (const [mode, s] of sums) {
    counts[mode] = s.rows;
    if (s.rows > 0) reward[mode] = s.reward / s.rows;
  }
  return {
    reward,
    rollouts: counts,
    synthesize: synth?.metrics ?? null,
    update: update?.metrics ?? null,
    behavior: behavior?.metrics ?? null,
  };
}

/**
 * Rollouts nodes recorded before they counted their reward: count it from their dataset, when the
 * store still holds it (a report never fails on that: without the dataset the curve has a gap).
 */
async function withReward(node: RecordedNode): Promise<RecordedNode> {
  if (node.uses !== 'rollouts' || !node.dataset || !present(node.dataset.uri)) return node;
  if (Object.keys(node.metrics).some((k) => k.startsWith('reward.'))) return node;
  try {
    const reward = await rewardByMode(node.dataset as DatasetRef);
    return { ...node, metrics: { ...node.metrics, ...reward } };
  } catch {
    return node;
  }
}

function present(uri: string): boolean {
  try {
    return existsSync(resolveUri(uri));
  } catch {
    return false; // the store is not mounted here: a gap, as for a deleted dataset
  }
}

/** A run's report data from its directory under var/runs/. */
export async function loadRunReport(dir: string): Promise<ReportData> {
  const id = dir.split('/').filter(Boolean).at(-1) ?? dir;
  const summaryPath = join(dir, 'report.json');
  const summary = existsSync(summaryPath) ? await readJson(summaryPath, RunSummary) : null;
  const specPath = join(dir, 'spec.json');
  const specName =
    summary?.spec_name ??
    (existsSync(specPath)
      ? (await readJson(specPath, z.looseObject({ spec: z.looseObject({ name: z.string() }) }))).spec.name
      : null);

  const byIteration = new Map<number, ReportIteration>();
  for (const { iteration, path } of await iterationDirs(dir)) {
    const nodes: RecordedNode[] = [];
    for (const file of (await readdir(path)).filter((f) => f.endsWith('.json')).sort())
      nodes.push(await withReward(await readJson(join(path, file), RecordedNode)));
    const metrics: Metrics = {};
    for (const n of nodes) if (n.output === 'eval') Object.assign(metrics, n.metrics);
    const update = nodes.find((n) => n.output === 'checkpoint');
    byIteration.set(iteration, {
      iteration,
      policy: update?.checkpoint?.key ?? null,
      metrics,
      regression: [],
      training: trainingFromNodes(nodes),
    });
  }
  // The run's own summary is authoritative for what the workflow saw (policy keys, eval metrics).
  for (const s of summary?.iterations ?? []) {
    const it = byIteration.get(s.iteration);
    byIteration.set(s.iteration, {
      iteration: s.iteration,
      policy: s.policy ?? it?.policy ?? null,
      metrics: { ...(it?.metrics ?? {}), ...s.metrics },
      regression: it?.regression ?? [],
      training: it?.training ?? null,
    });
  }
  if (byIteration.size === 0)
    throw new Error(`${dir}: the run recorded no node yet (no iter-*/ directory, no report.json)`);
  const runId = summary?.run_id ?? id;
  return {
    kind: 'run',
    id: runId,
    title: `Run ${runId}`,
    subtitle: specName ? `spec ${specName}` : null,
    iterations: [...byIteration.values()].sort((a, b) => a.iteration - b.iteration),
  };
}

/** Report data of one evaluated checkpoint: a single iteration 0 with its metrics. */
export function reportFromMetrics(input: {
  id: string;
  metrics: Metrics;
  title?: string;
  subtitle?: string | null;
  policy?: string | null;
  regression?: string[];
}): ReportData {
  return {
    kind: 'eval',
    id: input.id,
    title: input.title ?? `Evaluation ${input.id}`,
    subtitle: input.subtitle ?? null,
    iterations: [
      {
        iteration: 0,
        policy: input.policy ?? null,
        metrics: input.metrics,
        regression: input.regression ?? [],
        training: null,
      },
    ],
  };
}

/** An evaluation's report data from var/evals/<id>/result.json. */
export async function loadEvalReport(dir: string): Promise<ReportData> {
  const r = await readJson(join(dir, 'result.json'), EvalResult);
  const ckpt = r.checkpoint?.uri ?? r.checkpoint?.key;
  return reportFromMetrics({
    id: r.eval_id,
    metrics: r.metrics,
    subtitle: ckpt ? `checkpoint ${ckpt}` : null,
    policy: r.checkpoint?.key ?? null,
    regression: r.regression ?? [],
  });
}

/** A run id, a run directory, or an evaluation id → its directory and report data. */
export async function loadReport(
  name: string,
  roots: { runs?: string; evals?: string } = {},
): Promise<{ dir: string; data: ReportData }> {
  const evalDir = join(roots.evals ?? EVALS_DIR, name.replaceAll('/', '_'));
  let dir: string;
  try {
    dir = await resolveRunDir(name, roots.runs);
  } catch (err) {
    if (existsSync(join(evalDir, 'result.json')))
      return { dir: evalDir, data: await loadEvalReport(evalDir) };
    throw err;
  }
  return { dir, data: await loadRunReport(dir) };
}
