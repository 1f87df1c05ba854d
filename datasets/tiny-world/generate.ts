// Seeded generation of tiny-world queries (the EM run's training and evaluation sets) and of the
// bootstrap demonstrations the tiny model is trained on from scratch.
import { FAMILIES, type Family, type Method } from './families';
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
  response_text: string;
}

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
 * Bootstrap demonstrations: per family, a third without a method hint (half cot, half code, so the
 * bootstrapped model starts with no preference on any family and EM must learn one), a third
 * dictated cot, a third dictated code.
 */
export function tinyWorldDemonstrations(opts: { seed: number; per_family: number }): Demonstration[] {
  const rows: Demonstration[] = [];
  for (const f of FAMILIES) {
    const rng = new Rng(seedFor(opts.seed, f, 'demos'));
    for (let i = 0; i < opts.per_family; i++) {
      const p = f.make(rng);
      const mode: Mode = (['native', 'dictated_cot', 'dictated_code'] as const)[i % 3] as Mode;
      const method: Method =
        mode === 'dictated_cot' ? 'cot' : mode === 'dictated_code' ? 'code' : i % 6 < 3 ? 'cot' : 'code';
      rows.push({
        query_id: `tiny/demos/${opts.seed}/${f.name}/${i}`,
        family: f.name,
        mode,
        method,
        question: p.question,
        answer: p.answer,
        response_text: p.demos[method],
      });
    }
  }
  return rows;
}
