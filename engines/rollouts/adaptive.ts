// Adaptive budget for the dictated modes: under the hard-max reference strategy (argmax of Q, ties to
// cot) a query needs no more dictated samples once every way the remaining ones could turn out gives the
// same decision. Q(m) over the full budget K lies in [sum/K, (sum + remaining·maxReward)/K].
import type { Method } from '../../schemas/rollout';

export interface MethodTally {
  /** Dictated samples of this method graded so far. */
  n: number;
  /** Sum of their rewards. */
  reward_sum: number;
}

/**
 * The decision that no further samples can change, or null while it is open. Rewards lie in [0, maxReward].
 * Stopping early is consistent with the estimate on the samples taken: when cot is settled,
 * sum_cot/n_cot >= sum_cot/K >= (sum_code + r_code)/K >= sum_code/n_code, and likewise for code.
 */
export function settledDecision(
  cot: MethodTally,
  code: MethodTally,
  k: number,
  maxReward = 1,
): Method | null {
  for (const t of [cot, code]) {
    if (t.n > k || t.n < 0) throw new Error(`adaptive budget: ${t.n} samples taken of a budget of ${k}`);
  }
  const low = (t: MethodTally) => t.reward_sum / k;
  const high = (t: MethodTally) => (t.reward_sum + (k - t.n) * maxReward) / k;
  if (low(cot) >= high(code)) return 'cot';
  if (low(code) > high(cot)) return 'code';
  return null;
}
