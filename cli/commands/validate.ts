// `autocode validate <spec>`: checks a pipeline spec and prints its DAG, or every problem with its path.
import type { Command } from 'commander';
import { BENCHMARK_NAMES } from '../../datasets/benchmarks';
import { loadSpec, resolveSpecPath } from '../../pipelines/load';
import { describePolicy } from '../../pipelines/policy-source';
import { SpecError } from '../../pipelines/validate';
import { parseOverrides } from '../overrides';

export function register(program: Command): void {
  program
    .command('validate')
    .description('validate a pipeline spec (a name under pipelines/ or a path)')
    .argument('<spec>', 'e.g. tiny, autocode, or ./my-run.yaml')
    .option('-s, --set <key=value...>', 'override a field, e.g. -s iterations=1 -s defaults.rollouts.k=4')
    .action((spec: string, o: { set?: string[] }) => {
      try {
        // The same checks `autocode run` makes (prepareRun), benchmark names included.
        const resolved = loadSpec(spec, parseOverrides(o.set ?? []), {
          knownBenchmarks: new Set(BENCHMARK_NAMES),
        });
        console.log(`${resolveSpecPath(spec)}: valid (${resolved.name}, ${resolved.iterations} iterations)`);
        console.log(`  ${describePolicy(resolved.policy)}`);
        for (const n of resolved.iteration.nodes) {
          const needs = n.needs.length ? ` <- ${n.needs.join(', ')}` : '';
          console.log(`  ${n.id}: ${n.uses} on ${n.queue} -> ${n.output}${needs}`);
        }
      } catch (err) {
        if (!(err instanceof SpecError)) throw err;
        console.error(err.message);
        process.exitCode = 1;
      }
    });
}
