// Which metrics regressed from one night to the next: Pass@1 and selection mAcc (higher is better),
// present both nights, that dropped by more than the threshold.
import type { Regression } from '../../schemas/nightly';
import type { Metrics } from '../../schemas/run';

const HIGHER_IS_BETTER = /\.(accuracy|selection\.macc)$/;

export function findRegressions(previous: Metrics, current: Metrics, threshold: number): Regression[] {
  const out: Regression[] = [];
  for (const [metric, now] of Object.entries(current)) {
    const before = previous[metric];
    if (!HIGHER_IS_BETTER.test(metric) || typeof now !== 'number' || typeof before !== 'number') continue;
    const drop = before - now;
    // A small epsilon: 0.7 - 0.68 is 0.020000000000000018 in floating point.
    if (drop > threshold + 1e-9) {
      out.push({ metric, previous: before, current: now, drop: Number(drop.toFixed(6)) });
    }
  }
  return out.sort((a, b) => b.drop - a.drop || a.metric.localeCompare(b.metric));
}
