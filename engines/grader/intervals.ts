// Solution sets on the real line, for answers that exclude points ("x \neq \pm 5", "0 < x < 36,
// x \neq 9"): both sides become sorted disjoint spans with numeric endpoints and are compared as
// sets. Only used when endpoints evaluate to real constants; anything else stays structural.
import type { Budget } from './budget';
import { evaluate } from './evaluate';
import { plain } from './normalize';
import { parseNumeric } from './number';
import { parseScalar } from './scalar';
import type { Answer } from './structure';

export interface Span {
  lo: number;
  hi: number;
  loIn: boolean;
  hiIn: boolean;
}
export type RealSet = Span[];

const REALS: RealSet = [
  { lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY, loIn: false, hiIn: false },
];
const MAX_SPANS = 64;

/** Sorted, merged, without empty spans. */
function canonical(spans: Span[]): RealSet {
  const live = spans.filter((s) => s.lo < s.hi || (s.lo === s.hi && s.loIn && s.hiIn));
  live.sort((a, b) => a.lo - b.lo || Number(b.loIn) - Number(a.loIn));
  const out: Span[] = [];
  for (const s of live) {
    const last = out[out.length - 1];
    if (last && (s.lo < last.hi || (s.lo === last.hi && (last.hiIn || s.loIn)))) {
      if (s.hi > last.hi) {
        last.hi = s.hi;
        last.hiIn = s.hiIn;
      } else if (s.hi === last.hi) last.hiIn ||= s.hiIn;
    } else out.push({ ...s });
  }
  return out;
}

function intersectSpans(a: Span, b: Span): Span {
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  const loIn = (a.lo === lo ? a.loIn : true) && (b.lo === lo ? b.loIn : true);
  const hiIn = (a.hi === hi ? a.hiIn : true) && (b.hi === hi ? b.hiIn : true);
  return { lo, hi, loIn, hiIn };
}

export function intersect(a: RealSet, b: RealSet): RealSet {
  const out: Span[] = [];
  for (const x of a) for (const y of b) out.push(intersectSpans(x, y));
  return canonical(out);
}

/** The reals without the given points. */
function without(points: number[]): RealSet {
  let set = REALS;
  for (const p of points) {
    set = intersect(set, [
      { lo: Number.NEGATIVE_INFINITY, hi: p, loIn: false, hiIn: false },
      { lo: p, hi: Number.POSITIVE_INFINITY, loIn: false, hiIn: false },
    ]);
  }
  return set;
}

const INFINITE = /^([+-]?)\\infty$|^([+-]?)\\inf$|^([+-]?)oo$/;

/** The value of a constant endpoint, or null when it is not a real constant. */
function value(a: Answer, budget: Budget): number | null {
  if (a.kind !== 'scalar') return null;
  const t = plain(a.text).replace(/\s+/g, '');
  const inf = INFINITE.exec(t);
  if (inf) return (inf[1] ?? inf[2] ?? inf[3]) === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const n = parseNumeric(t);
  if (n) return n.value;
  const json = parseScalar(a.text, budget);
  if (json === null) return null;
  try {
    const z = evaluate(json, new Map(), budget);
    return z.im === 0 && Number.isFinite(z.re) ? z.re : null;
  } catch {
    return null;
  }
}

/** Whether an answer excludes points somewhere at its top level (the case this module is for). */
export function excludesPoints(a: Answer): boolean {
  if (a.kind === 'excluded') return true;
  return a.kind === 'list' && a.items.some((x) => x.kind === 'excluded');
}

/**
 * The set an answer describes: intervals, unions, excluded points; a list joins intervals by
 * union, but a list with an excluded point is a conjunction ("0 < x < 36, x \neq 9").
 */
export function realSet(a: Answer, budget: Budget): RealSet | null {
  switch (a.kind) {
    case 'tuple': {
      if (a.items.length !== 2) return null;
      const lo = value(a.items[0] as Answer, budget);
      const hi = value(a.items[1] as Answer, budget);
      if (lo === null || hi === null) return null;
      return canonical([{ lo, hi, loIn: a.open === '[', hiIn: a.close === ']' }]);
    }
    case 'union':
    case 'list': {
      const parts = a.kind === 'union' ? a.parts : a.items;
      if (parts.length > MAX_SPANS) return null;
      const sets = parts.map((x) => realSet(x, budget));
      if (sets.some((s) => s === null)) return null;
      if (a.kind === 'list' && excludesPoints(a)) return (sets as RealSet[]).reduce(intersect, REALS);
      return canonical((sets as RealSet[]).flat());
    }
    case 'excluded': {
      const points = a.values.map((v) => value(v, budget));
      if (points.some((p) => p === null || !Number.isFinite(p))) return null;
      return without(points as number[]);
    }
    default:
      return null;
  }
}

const close = (x: number, y: number) =>
  x === y || (Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x)));

export function sameSet(a: RealSet, b: RealSet): boolean {
  if (a.length !== b.length) return false;
  return a.every((s, i) => {
    const t = b[i] as Span;
    return close(s.lo, t.lo) && close(s.hi, t.hi) && s.loIn === t.loIn && s.hiIn === t.hiIn;
  });
}
