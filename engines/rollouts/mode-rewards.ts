// Mean reward per mode of a rollouts dataset: the report's reward curves. One DuckDB group-by over
// the parts on disk, so it costs the same whether the rollouts were just sampled or found cached.
import type { Metrics } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';
import { queryStore } from '../store/duck';

/** `reward.<mode>` (mean reward, 4 decimals) and `rows.<mode>` for every mode in the dataset. */
export async function rewardByMode(ref: DatasetRef): Promise<Metrics> {
  if (ref.rows === 0) return {};
  const rows = await queryStore(
    'SELECT mode, count(*) AS n, avg(reward) AS reward FROM {r} GROUP BY mode ORDER BY mode',
    { r: ref },
    { threads: 1 },
  );
  const out: Metrics = {};
  for (const r of rows) {
    const mode = String(r.mode);
    out[`reward.${mode}`] = Number(Number(r.reward).toFixed(4));
    out[`rows.${mode}`] = Number(r.n);
  }
  return out;
}
