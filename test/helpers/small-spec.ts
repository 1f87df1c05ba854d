// tiny.yaml shrunk to seconds, for tests that run whole EM runs on real workers.
import { readSpecFile, resolveSpecPath } from '../../pipelines/load';

/** A barely bootstrapped model, a few queries, one iteration. */
export function smallSpec(): Record<string, unknown> {
  // biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document, edited field by field
  const spec = readSpecFile(resolveSpecPath('tiny')) as Record<string, any>;
  spec.iterations = 1;
  spec.policy.bootstrap.demonstrations.tiny_world.per_family = 40;
  spec.policy.bootstrap.with = { max_steps: 15, batch_size: 16 };
  spec.queries.train = [{ tiny_world: { seed: 2, per_family: 3 } }];
  spec.queries.eval = [{ tiny_world: { seed: 3, per_family: 2, split: 'test' } }];
  spec.defaults.rollouts = { ...spec.defaults.rollouts, samples: 2, max_tokens: 48, shard_size: 4 };
  spec.defaults.evaluate = { max_tokens: 48, max_rounds: 2 };
  // One in-process server: these tests start many workers on 2 cores, and kill some; the pool of
  // tiny.yaml (two child servers) has its own tests (test/inference/pool.test.ts, gpu/tests/test_pool.py).
  spec.inference = { embedded: { port: 0, replicas: 1 } };
  return spec;
}
