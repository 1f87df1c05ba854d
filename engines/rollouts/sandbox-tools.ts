// The pieces a rollout needs besides the model: the sandbox that runs its code and the reward.
import { type ExtractionPolicy, grade } from '../grader/index';
import { formatToolOutput } from '../sandbox/format';
import { sharedSandboxPool } from '../sandbox/shared';
import { executorFrom, type RewardFn, rewardFrom, type ToolExecutor } from './tools';

/** `extraction`: which answers the reward takes as final (rollouts: strict; evaluation: lenient). */
export async function rolloutTools(opts: {
  timeoutMs: number;
  outputMaxChars: number;
  extraction: ExtractionPolicy;
}): Promise<{
  executor: ToolExecutor;
  reward: RewardFn;
}> {
  const pool = await sharedSandboxPool({ timeoutMs: opts.timeoutMs });
  return {
    executor: executorFrom(pool, formatToolOutput, opts.outputMaxChars),
    reward: rewardFrom(grade, opts.extraction),
  };
}
