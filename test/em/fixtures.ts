// Rollout rows for E-step tests. Responses are tokenized byte-wise, so token ids decode back to
// the text and reflective prefixes can be checked as text.
import fc from 'fast-check';
import type { Method, Mode, RolloutForEm } from '../../engines/em';

export const byteTokenize = async (text: string): Promise<number[]> => [...Buffer.from(text, 'utf8')];
export const decode = (ids: readonly number[]): string => Buffer.from(ids).toString('utf8');

const PROMPT_TAG: Record<Mode, number> = { native: 0, dictated_cot: 1, dictated_code: 2 };

/**
 * A rollout with consistent columns: byte tokens of the text, loss 0 on tool output. A code
 * rollout is a program of `lines` lines in a ```python block, its ```output block, then the answer.
 */
export function rollout(
  query_id: string,
  mode: Mode,
  sample: number,
  method: Method,
  reward: number,
  lines = 3,
): RolloutForEm {
  const body = Array.from({ length: lines }, (_, i) => `${method} ${mode} ${sample} line ${i}`);
  const response_text =
    method === 'code'
      ? `\`\`\`python\n${body.join('\n')}\n\`\`\`\n\`\`\`output\n${reward}\n\`\`\`\nThe answer is \\boxed{${reward}}.`
      : `${body.join('\n')}\n\\boxed{${reward}}`;
  return withText(
    {
      query_id,
      mode,
      sample,
      method,
      reward,
      prompt_token_ids: [...Buffer.from(`${query_id}|${PROMPT_TAG[mode]}`, 'utf8')],
      response_text: '',
      response_token_ids: [],
      loss_mask: [],
      behavior_logprobs: [],
    },
    response_text,
  );
}

/** The rollout with another response text; token columns recomputed (loss 0 inside ```output). */
export function withText(row: RolloutForEm, response_text: string): RolloutForEm {
  const response_token_ids = [...Buffer.from(response_text, 'utf8')];
  const out = Buffer.from('```output\n').length;
  const start = response_text.indexOf('```output\n');
  const end = start < 0 ? -1 : response_text.indexOf('```', start + out);
  return {
    ...row,
    response_text,
    response_token_ids,
    // Tool output tokens (bytes; the fixtures' texts are ASCII): loss 0 there.
    loss_mask: response_token_ids.map((_, i) => (start >= 0 && i >= start + out && i < end ? 0 : 1)),
    behavior_logprobs: response_token_ids.map((_, i) => -0.05 * ((i % 7) + 1)),
  };
}

/** Rows of one query from per-mode lists of [method, reward]. */
export function queryRows(
  query_id: string,
  spec: Partial<Record<Mode, readonly (readonly [Method, number])[]>>,
  lines = 3,
): RolloutForEm[] {
  const out: RolloutForEm[] = [];
  for (const mode of ['dictated_cot', 'dictated_code', 'native'] as const) {
    (spec[mode] ?? []).forEach(([method, reward], sample) => {
      out.push(rollout(query_id, mode, sample, method, reward, lines));
    });
  }
  return out;
}

const arbAttempt = fc.tuple(fc.constantFrom<Method>('cot', 'code'), fc.constantFrom(0, 1));

/** One query's rollouts: up to `max` per mode, at least `minNative` native. */
export function arbQuery(query_id: string, max = 6, minNative = 0): fc.Arbitrary<RolloutForEm[]> {
  return fc
    .record({
      dictated_cot: fc.array(arbAttempt, { maxLength: max }),
      dictated_code: fc.array(arbAttempt, { maxLength: max }),
      native: fc.array(arbAttempt, { minLength: minNative, maxLength: max }),
      lines: fc.integer({ min: 1, max: 14 }),
    })
    .map(({ lines, ...spec }) => queryRows(query_id, spec, lines));
}

/** Rollouts of 1–6 queries, interleaved in a random order. */
export function arbRollouts(max = 6, minNative = 0): fc.Arbitrary<RolloutForEm[]> {
  return fc
    .integer({ min: 1, max: 6 })
    .chain((nq) => fc.tuple(...Array.from({ length: nq }, (_, i) => arbQuery(`q${i}`, max, minNative))))
    .chain((groups) => fc.shuffledSubarray(groups.flat(), { minLength: groups.flat().length }));
}
