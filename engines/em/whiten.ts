// Query-wise reward whitening (the authors'): advantage = (r − mean)/(std + 1e-6), population std,
// clipped to [−clip, clip].

export const WHITEN_EPS = 1e-6;

/** Whitened rewards before clipping; they sum to zero (up to rounding). */
export function whiten(rewards: readonly number[]): number[] {
  const n = rewards.length;
  if (n === 0) return [];
  let sum = 0;
  for (const r of rewards) sum += r;
  const mean = sum / n;
  let sq = 0;
  for (const r of rewards) sq += (r - mean) * (r - mean);
  const std = Math.sqrt(sq / n);
  return rewards.map((r) => (r - mean) / (std + WHITEN_EPS));
}

export function clip(x: number, bound: number): number {
  return Math.min(bound, Math.max(-bound, x));
}
