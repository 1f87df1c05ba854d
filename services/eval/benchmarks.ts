// Benchmark names an evaluation accepts: the registry's (datasets/benchmarks.ts, test split) and the
// tiny world, with the embedded run's evaluation queries (pipelines/tiny.yaml, queries.eval).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { BENCHMARK_NAMES, BENCHMARKS } from '../../datasets/benchmarks';
import { benchmarksDir } from '../../datasets/load';
import type { QuerySource } from '../../pipelines/spec';

export const TINY_WORLD = 'tiny_world';
/** pipelines/tiny.yaml's eval set. */
export const TINY_WORLD_EVAL = { seed: 3, per_family: 100, split: 'test' as const };
/** The tiny world's token budget is part of the world (it makes prose better on `pick`): tiny.yaml's. */
export const TINY_WORLD_BUDGET = { max_tokens: 64, max_rounds: 2 };
const SPLIT = 'test';

export function knownBenchmarks(): string[] {
  return [...BENCHMARK_NAMES, TINY_WORLD];
}

export function invalidEvalInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'InvalidInput', nonRetryable: true });
}

export interface TinyWorldOptions {
  seed?: number;
  per_family?: number;
}

/** Each name's query source; every problem (unknown name, missing local file) in one error. */
export function benchmarkSources(names: readonly string[], tiny: TinyWorldOptions = {}): QuerySource[] {
  if (names.length === 0)
    throw invalidEvalInput(`benchmarks: none given (known: ${knownBenchmarks().join(', ')})`);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) problems.push(`benchmark "${name}" is listed twice`);
    seen.add(name);
    if (name === TINY_WORLD) continue;
    const b = BENCHMARKS[name];
    if (!b) {
      problems.push(`unknown benchmark "${name}" (known: ${knownBenchmarks().join(', ')})`);
      continue;
    }
    const split = b.splits[SPLIT];
    const file = split && join(benchmarksDir(), split.file);
    if (!file || !existsSync(file))
      problems.push(
        `benchmark ${name}: no local file ${file ?? `for split ${SPLIT}`} (set AUTOCODE_BENCHMARKS)`,
      );
  }
  if (tiny.per_family !== undefined && (!Number.isInteger(tiny.per_family) || tiny.per_family < 1))
    problems.push(`tiny_world.per_family: ${tiny.per_family} is not a positive integer`);
  if (problems.length) throw invalidEvalInput(problems.join('; '));
  return names.map((name) =>
    name === TINY_WORLD ? { tiny_world: { ...TINY_WORLD_EVAL, ...tiny } } : { benchmark: name, split: SPLIT },
  );
}
