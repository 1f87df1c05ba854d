// `prepareRun`: validates the spec (nothing is written when it is invalid), records it under
// var/runs/<run>/, and materialises the run's query sets and, for a bootstrapped or Code4Math policy,
// its demonstrations as content-addressed datasets (checked before any store write).
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { BENCHMARK_NAMES } from '../../datasets/benchmarks';
import { loadBenchmark } from '../../datasets/load';
import { TINY_WORLD_VERSION } from '../../datasets/tiny-world/families';
import { tinyWorldDemonstrations, tinyWorldQueries } from '../../datasets/tiny-world/generate';
import { renderPrompt } from '../../engines/rollouts/prompts';
import { contentKey, sha256Hex } from '../../engines/store/canonical';
import { lookup } from '../../engines/store/catalog';
import { checkpointStamp } from '../../engines/store/checkpoint-identity';
import { refUri, resolveUri } from '../../engines/store/locate';
import { writeDataset } from '../../engines/store/writer';
import { PATHS } from '../../infra/paths';
import { applyOverrides, readSpecFile, resolveSpecPath } from '../../pipelines/load';
import { baseKind } from '../../pipelines/policy-source';
import type { QuerySource } from '../../pipelines/spec';
import { type ResolvedSpec, SpecError, validateSpec } from '../../pipelines/validate';
import type { Row } from '../../schemas/datasets';
import { PromptTemplates } from '../../schemas/rollout';
import type { QuerySet } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';
import { code4mathDemonstrations } from './demonstrations';

export const QUERIES_PRODUCER = { activity: 'prepareRun.queries', version: '1' };
export const DEMOS_PRODUCER = { activity: 'prepareRun.demonstrations', version: '1' };

export interface PrepareRunInput {
  run_id: string;
  /** A spec name under pipelines/ or a path. */
  spec?: string;
  /** A whole spec object (from the Web UI's JSON form). */
  spec_inline?: unknown;
  /** Dotted overrides, e.g. {"iterations": 1}. */
  overrides?: Record<string, unknown>;
}

export interface PreparedRun {
  run_id: string;
  spec: ResolvedSpec;
  train: DatasetRef;
  eval: QuerySet[];
  demonstrations: DatasetRef | null;
  /** Content key of a checkpoint given by path (the sha256 of its resolved path). */
  initial_policy_key: string;
  /** The base of a Code4Math policy (`policy.base`): a Hub model to pull, or a checkpoint; else null. */
  base?: { hub: string; revision: string } | { checkpoint: { uri: string; key: string } } | null;
}

export function invalidSpec(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'InvalidSpec', nonRetryable: true });
}

export function resolveRunSpec(input: PrepareRunInput): ResolvedSpec {
  if ((input.spec === undefined) === (input.spec_inline === undefined)) {
    throw invalidSpec('give exactly one of `spec` (a name or path) and `spec_inline` (a spec object)');
  }
  try {
    const raw = input.spec !== undefined ? readSpecFile(resolveSpecPath(input.spec)) : input.spec_inline;
    return validateSpec(applyOverrides(raw, input.overrides ?? {}), {
      knownBenchmarks: new Set(BENCHMARK_NAMES),
    });
  } catch (err) {
    if (err instanceof SpecError) throw invalidSpec(err.message);
    throw err;
  }
}

async function sourceRows(source: QuerySource): Promise<{ name: string; rows: Row[]; sha256: string }> {
  if ('tiny_world' in source) {
    const t = source.tiny_world;
    const rows = tinyWorldQueries({
      seed: t.seed,
      per_family: t.per_family,
      split: t.split,
    }) as unknown as Row[];
    return {
      name: 'tiny_world',
      rows,
      // The generated rows themselves: a changed family never hits an old cache entry.
      sha256: sha256Hex(JSON.stringify(rows)),
    };
  }
  const loaded = await loadBenchmark(source.benchmark, source.split);
  const rows = (source.limit ? loaded.rows.slice(0, source.limit) : loaded.rows) as Row[];
  return { name: source.benchmark, rows, sha256: loaded.source_sha256 };
}

export async function queriesDataset(sources: readonly QuerySource[]): Promise<DatasetRef> {
  const loaded = await Promise.all(sources.map(sourceRows));
  const params = { sources };
  const inputs = Object.fromEntries(loaded.map((l, i) => [`source_${i}`, { sha256: l.sha256 }]));
  const key = contentKey({ producer: QUERIES_PRODUCER, params, inputs });
  const found = await lookup('queries', key);
  if (found) return found;
  return writeDataset(
    { kind: 'queries', key, producer: QUERIES_PRODUCER, params },
    loaded.flatMap((l) => l.rows),
  );
}

/** The demonstrations' writer, after every check: null when the policy needs none. */
async function demonstrationsWriter(spec: ResolvedSpec): Promise<(() => Promise<DatasetRef>) | null> {
  // The rollouts' templates: SFT sees the prompts EM samples from.
  const templates = PromptTemplates.parse(spec.defaults.rollouts?.templates ?? {});
  if ('sft' in spec.policy) return code4mathDemonstrations(spec.policy.sft.demonstrations, templates);
  if (!('bootstrap' in spec.policy)) return null;
  const source = spec.policy.bootstrap.demonstrations;
  if (!('tiny_world' in source)) {
    throw invalidSpec('policy.bootstrap.demonstrations: only tiny_world demonstrations can be generated');
  }
  return () => tinyDemonstrations(source.tiny_world, templates);
}

async function tinyDemonstrations(
  tiny: Extract<QuerySource, { tiny_world: unknown }>['tiny_world'],
  templates: PromptTemplates,
): Promise<DatasetRef> {
  const source = { tiny_world: tiny };
  const params = { tiny_world: source.tiny_world, templates, generator: TINY_WORLD_VERSION };
  const key = contentKey({ producer: DEMOS_PRODUCER, params });
  const found = await lookup('demonstrations', key);
  if (found) return found;
  const rows = tinyWorldDemonstrations({
    seed: source.tiny_world.seed,
    per_family: source.tiny_world.per_family,
  }).map((d) => ({
    query_id: d.query_id,
    mode: d.mode,
    method: d.method,
    // The model continues right after "Assistant:", so its text starts with a space. A reflective
    // demonstration's failed attempt is context, laid out as synthesize lays out its prefix.
    prompt: renderPrompt(templates, d.question, d.mode) + (d.attempt === null ? '' : ` ${d.attempt}\n`),
    response: d.attempt === null ? ` ${d.response_text}` : d.response_text,
  }));
  return writeDataset({ kind: 'demonstrations', key, producer: DEMOS_PRODUCER, params }, rows);
}

/** A Code4Math base: a checkpoint path must exist (its identity is taken here); a Hub repo is pulled later. */
function resolveBase(spec: ResolvedSpec): PreparedRun['base'] {
  if (!('base' in spec.policy)) return null;
  const { base, revision } = spec.policy;
  if (baseKind(base) === 'hub') return { hub: base, revision };
  const path = resolveUri(base);
  if (!existsSync(join(path, 'config.json')))
    throw invalidSpec(`policy.base: ${path}: no checkpoint there (no config.json)`);
  return { checkpoint: { uri: refUri(path), key: checkpointStamp(path) } };
}

export async function prepareRun(input: PrepareRunInput): Promise<PreparedRun> {
  const spec = resolveRunSpec(input);
  const base = resolveBase(spec);
  const writeDemonstrations = await demonstrationsWriter(spec);
  const runDir = join(PATHS.runs, input.run_id);
  await mkdir(runDir, { recursive: true });
  const tmp = join(runDir, `.spec.json.${process.pid}`);
  await writeFile(tmp, `${JSON.stringify({ input, spec }, null, 2)}\n`);
  await rename(tmp, join(runDir, 'spec.json'));
  const train = await queriesDataset(spec.queries.train);
  const evalSets: QuerySet[] = [];
  for (const source of spec.queries.eval) {
    const name = 'tiny_world' in source ? 'tiny_world' : source.benchmark;
    evalSets.push({ name, queries: await queriesDataset([source]) });
  }
  return {
    run_id: input.run_id,
    spec,
    train,
    eval: evalSets,
    demonstrations: writeDemonstrations ? await writeDemonstrations() : null,
    // A checkpoint given by path is identified by its path and files (see checkpointStamp).
    initial_policy_key:
      'checkpoint' in spec.policy ? checkpointStamp(resolveUri(spec.policy.checkpoint)) : sha256Hex(''),
    base,
  };
}
