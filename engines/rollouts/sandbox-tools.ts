// The pieces a rollout needs besides the model: the sandbox that runs its code and the reward.
import { type ExtractionPolicy, grade } from '../grader/index';
import { type CachedRunner, countingRunner, type ExecutionCache } from '../sandbox/cache';
import { formatToolOutput } from '../sandbox/format';
import { sharedSandboxPool } from '../sandbox/shared';
import { executorFrom, type RewardFn, rewardFrom, type ToolExecutor } from './tools';

/**
 * `extraction`: which answers the reward takes as final (rollouts: strict; evaluation: lenient).
 * `cache`: run the code through this execution cache (the rollouts node: its run's); `runner.stats`
 * then counts hits, misses and the seconds saved. Without it every program runs (still counted).
 */
export async function rolloutTools(opts: {
  timeoutMs: number;
  outputMaxChars: number;
  extraction: ExtractionPolicy;
  cache?: ExecutionCache | undefined;
}): Promise<{
  executor: ToolExecutor;
  reward: RewardFn;
  runner: CachedRunner;
}> {
  // The process's one pool: its limits are those of whoever started it, and the cache keys on those.
  const pool = await sharedSandboxPool({ timeoutMs: opts.timeoutMs });
  const runner = opts.cache ? opts.cache.runner(pool) : countingRunner(pool);
  return {
    executor: executorFrom(runner, formatToolOutput, opts.outputMaxChars),
    reward: rewardFrom(grade, opts.extraction),
    runner,
  };
}
