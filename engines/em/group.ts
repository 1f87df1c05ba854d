// Validates rollout rows and groups them by query, keeping first-appearance order (deterministic
// for a given input, and linear: no sort).
import { emInputError } from './errors';
import { METHODS, MODES, type RolloutForEm } from './types';

function where(row: RolloutForEm, index: number): string {
  return `rollout row ${index} (query ${JSON.stringify(row.query_id)}, mode ${String(row.mode)}, sample ${String(row.sample)})`;
}

/** Checks the scalar columns estimate needs; `tokens` also checks the token columns synthesize needs. */
export function checkRollout(row: RolloutForEm, index: number, tokens: boolean): void {
  if (typeof row.query_id !== 'string' || row.query_id === '') {
    throw emInputError(`rollout row ${index}: query_id must be a non-empty string`);
  }
  if (!MODES.includes(row.mode))
    throw emInputError(`${where(row, index)}: mode must be one of ${MODES.join('|')}`);
  if (!Number.isSafeInteger(row.sample) || row.sample < 0 || row.sample > 2 ** 50) {
    throw emInputError(`${where(row, index)}: sample must be an integer in [0, 2^50]`);
  }
  if (!METHODS.includes(row.method)) {
    throw emInputError(`${where(row, index)}: method must be one of ${METHODS.join('|')}`);
  }
  if (row.reward !== 0 && row.reward !== 1) throw emInputError(`${where(row, index)}: reward must be 0 or 1`);
  if (!tokens) return;
  for (const field of ['prompt_token_ids', 'response_token_ids', 'behavior_logprobs', 'loss_mask'] as const) {
    if (!Array.isArray(row[field])) throw emInputError(`${where(row, index)}: ${field} must be an array`);
  }
  if (typeof row.response_text !== 'string') {
    throw emInputError(`${where(row, index)}: response_text must be a string`);
  }
  const n = row.response_token_ids.length;
  if (row.behavior_logprobs.length !== n || row.loss_mask.length !== n) {
    throw emInputError(
      `${where(row, index)}: response_token_ids (${n}), behavior_logprobs (${row.behavior_logprobs.length}) ` +
        `and loss_mask (${row.loss_mask.length}) must have equal lengths`,
    );
  }
}

/** Validated rows grouped by query_id; a repeated (query, mode, sample) is an error (double counting). */
export function groupByQuery(rows: readonly RolloutForEm[], tokens: boolean): Map<string, RolloutForEm[]> {
  const groups = new Map<string, { rows: RolloutForEm[]; seen: Set<number> }>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as RolloutForEm;
    checkRollout(row, i, tokens);
    let group = groups.get(row.query_id);
    if (!group) {
      group = { rows: [], seen: new Set() };
      groups.set(row.query_id, group);
    }
    // A numeric key per query: one string key per row cost 10x the grouping itself.
    const key = row.sample * MODES.length + MODES.indexOf(row.mode);
    if (group.seen.has(key))
      throw emInputError(`${where(row, i)}: duplicate rollout (same query, mode and sample)`);
    group.seen.add(key);
    group.rows.push(row);
  }
  const out = new Map<string, RolloutForEm[]>();
  for (const [query_id, group] of groups) out.set(query_id, group.rows);
  return out;
}
