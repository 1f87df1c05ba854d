// Seeded generation of tiny-world queries (the EM run's training and evaluation sets) and of the
// bootstrap demonstrations the tiny model is trained on from scratch.

import { failedAttemptText } from '../../engines/em/reflect';
import { HINT_AFTER_CODE, HINT_AFTER_COT } from '../../schemas/em';
import { FAMILIES, type Family, type Method, type Problem } from './families';
import { Rng } from './rng';

export type Mode = 'dictated_cot' | 'dictated_code' | 'native';

export interface TinyQuery {
  query_id: string;
  source: string;
  question: string;
  answer: string;
  split: string;
  meta: string;
}

export interface Demonstration {
  query_id: string;
  family: string;
  mode: Mode;
  method: Method;
  question: string;
  answer: string;
  /**
   * Self-reflective demonstrations only: a failed attempt with the other method that the model
   * reads (it follows the prompt, no loss) before `response_text`, which is the hint then a correct
   * solution. A pretrained model knows the hints' language; the tiny model learns it here, or the
   * EM update spends itself on hint tokens it has never seen (log-prob about -13 per token).
   */
  attempt: string | null;
  response_text: string;
}

/** One reflective demonstration per this many demonstrations of a family. */
export const REFLECTIVE_EVERY = 10;

function seedFor(seed: number, family: Family, split: string): number {
  let h = 2166136261 ^ seed;
  for (const c of `${family.name}/${split}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

export function tinyWorldQueries(opts: { seed: number; per_family: number; split: string }): TinyQuery[] {
  const rows: TinyQuery[] = [];
  for (const f of FAMILIES) {
    const rng = new Rng(seedFor(opts.seed, f, opts.split));
    for (let i = 0; i < opts.per_family; i++) {
      const p = f.make(rng);
      rows.push({
        query_id: `tiny/${opts.split}/${opts.seed}/${f.name}/${i}`,
        source: `tiny_world/${f.name}`,
        question: p.question,
        answer: p.answer,
        split: opts.split,
        meta: JSON.stringify({ family: f.name, favours: f.favours }),
      });
    }
  }
  return rows;
}

/**
 * Whether the j-th native demonstration of a family uses code: exactly `share` of any prefix (up to
 * one), evenly spread, so a small share still appears throughout the set.
 */
export function nativeUsesCode(j: number, share: number): boolean {
  return Math.floor((j + 1) * share) > Math.floor(j * share);
}

/**
 * Bootstrap demonstrations: per family, a third without a method hint (code in the family's
 * `nativeCodeShare` of them: the native prior EM starts from), a third dictated cot, a third dictated
 * code.
 */
export function tinyWorldDemonstrations(opts: { seed: number; per_family: number }): Demonstration[] {
  const rows: Demonstration[] = [];
  for (const f of FAMILIES) {
    const rng = new Rng(seedFor(opts.seed, f, 'demos'));
    for (let i = 0; i < opts.per_family; i++) {
      const p = f.make(rng);
      const mode: Mode = (['native', 'dictated_cot', 'dictated_code'] as const)[i % 3] as Mode;
      const method: Method =
        mode === 'dictated_cot'
          ? 'cot'
          : mode === 'dictated_code' || nativeUsesCode(Math.floor(i / 3), f.nativeCodeShare)
            ? 'code'
            : 'cot';
      rows.push({
        query_id: `tiny/demos/${opts.seed}/${f.name}/${i}`,
        family: f.name,
        mode,
        method,
        question: p.question,
        answer: p.answer,
        attempt: null,
        response_text: p.demos[method],
      });
    }
    for (let i = 0; i < Math.floor(opts.per_family / REFLECTIVE_EVERY); i++) {
      const p = f.make(rng);
      const failed: Method = i % 2 === 0 ? 'cot' : 'code';
      const method: Method = failed === 'cot' ? 'code' : 'cot';
      rows.push({
        query_id: `tiny/demos/${opts.seed}/${f.name}/reflective/${i}`,
        family: f.name,
        mode: 'native',
        method,
        question: p.question,
        answer: p.answer,
        // As synthesize shows failed attempts by default: prose cut before its answer, a program whole.
        attempt: failedAttemptText(failedAttempt(p, failed, rng), failed, {
          cut_lines: 10,
          cut_answer: true,
          cut_code: false,
        }),
        response_text: `${failed === 'cot' ? HINT_AFTER_COT : HINT_AFTER_CODE}\n ${p.demos[method]}`,
      });
    }
  }
  return rows;
}

/** The method's demonstration with a wrong answer in place of the right one wherever it appears. */
export function failedAttempt(p: Problem, method: Method, rng: Rng): string {
  const delta = rng.int(1, 3) * (rng.next() < 0.5 ? -1 : 1);
  const wrong = String(Math.abs(Number(p.answer) + delta));
  return p.demos[method].replace(new RegExp(`\\b${p.answer}\\b`, 'g'), wrong);
}
