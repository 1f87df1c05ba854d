// The pieces a rollout needs besides the model: the sandbox that runs its code and the reward.
import { grade } from '../grader/index';
import { formatToolOutput } from '../sandbox/format';
import { sharedSandboxPool } from '../sandbox/shared';
import { executorFrom, type RewardFn, rewardFrom, type ToolExecutor } from './tools';

export async function rolloutTools(opts: { timeoutMs: number; outputMaxChars: number }): Promise<{
  executor: ToolExecutor;
  reward: RewardFn;
}> {
  const pool = await sharedSandboxPool({ timeoutMs: opts.timeoutMs });
  return { executor: executorFrom(pool, formatToolOutput, opts.outputMaxChars), reward: rewardFrom(grade) };
}
