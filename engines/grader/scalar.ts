// Equivalence of two scalar answers, cheapest test first: exact text, plain numbers and
// fractions, prose, then symbolic expressions by evaluation at sample points.
import { type Budget, OutOfTime, Refused } from './budget';
import * as Cx from './complex';
import { evaluate, freeVariables, hasDecimal, hasError, NonFinite, NotEvaluable } from './evaluate';
import { guardExpression } from './guards';
import { ensureWorker, parseLatexIsolated } from './isolate';
import { compact, plain } from './normalize';
import { numericEqual, parseNumeric } from './number';
import { isProgrammatic, type MathJson, parseProgrammatic } from './parse';
import { isText, knownUnit, stripUnits, textEqual } from './units';

export interface Verdict {
  equal: boolean | null;
  reason: string;
}

const CACHE_SIZE = 4096;
const parseCache = new Map<string, MathJson | null>();

const RUNAWAY_SIZE = 1024;
const runaway = new Set<string>();

export function clearParseCache(): void {
  parseCache.clear();
  runaway.clear();
}

/** MathJSON for a scalar, or null when it does not parse to something evaluable. */
export function parseScalar(text: string, budget: Budget): MathJson | null {
  const hit = parseCache.get(text);
  if (hit !== undefined) {
    // Refresh its position: the cache evicts least recently used first.
    parseCache.delete(text);
    parseCache.set(text, hit);
    return hit;
  }
  const refusal = guardExpression(text);
  if (refusal) throw new Refused(refusal);
  if (runaway.has(text)) throw new Refused('parse_timeout');
  budget.extend(ensureWorker());
  let src = plain(text);
  // A percent inside an expression is a factor of 1/100.
  src = src.replace(/%/g, '\\cdot\\frac{1}{100}');
  let json: MathJson | null;
  if (isProgrammatic(src)) {
    try {
      json = parseProgrammatic(src);
    } catch {
      json = null;
    }
  } else {
    try {
      json = parseLatexIsolated(src, budget.remaining());
    } catch (e) {
      // A parse that overran the whole budget is pathological, not unlucky: remember it so
      // the K samples graded against the same gold do not each restart the parser.
      if (e instanceof OutOfTime) {
        if (runaway.size >= RUNAWAY_SIZE) runaway.clear();
        runaway.add(text);
      }
      throw e;
    }
  }
  if (json !== null && hasError(json)) json = null;
  budget.check();
  if (parseCache.size >= CACHE_SIZE) parseCache.delete(parseCache.keys().next().value as string);
  parseCache.set(text, json);
  return json;
}

const INFINITY = /^([+-]?)(?:\\infty|infty|inf|infinity|oo|\\infinity)$/i;

function infinitySign(c: string): string | null {
  const m = INFINITY.exec(c);
  return m ? (m[1] === '-' ? '-' : '+') : null;
}

// Deterministic sample points, away from integers and zero so floor(), factorials and poles at
// small integers do not coincide by accident.
const SAMPLES = [0.7317, 1.4137, 2.3183, 0.4271, 1.8867, 2.7561, 1.1299];

function pointEnv(vars: string[], k: number): Map<string, Cx.C> {
  const env = new Map<string, Cx.C>();
  vars.forEach((v, j) => {
    env.set(v, Cx.c(SAMPLES[(k + 3 * j) % SAMPLES.length] as number));
  });
  return env;
}

/** Compares two parsed expressions by evaluation at sample points of their variables. */
export function compareExpressions(g: MathJson, p: MathJson, approximate: boolean, budget: Budget): Verdict {
  const vars = [...new Set([...freeVariables(g), ...freeVariables(p)])].sort();
  const tol = approximate ? 1e-4 : vars.length === 0 ? 1e-10 : 1e-8;
  const points = vars.length === 0 ? 1 : SAMPLES.length;
  let valid = 0;
  let overflow = false;
  for (let k = 0; k < points; k++) {
    const env = pointEnv(vars, k);
    let a: Cx.C;
    let b: Cx.C;
    try {
      a = evaluate(g, env, budget);
      b = evaluate(p, env, budget);
    } catch (e) {
      if (e instanceof NotEvaluable) return { equal: null, reason: 'not_evaluable' };
      if (e instanceof NonFinite) {
        overflow = true;
        continue;
      }
      throw e;
    }
    const fa = Cx.finite(a);
    const fb = Cx.finite(b);
    if (!fa || !fb) {
      // Overflow (a tower, 1000!) or a pole: this point tells nothing.
      overflow = true;
      continue;
    }
    if (!Cx.close(a, b, tol, 1e-12)) return { equal: false, reason: 'expression' };
    valid++;
  }
  if (vars.length === 0 ? valid === 1 : valid >= 3) return { equal: true, reason: 'expression' };
  return { equal: null, reason: overflow ? 'overflow' : 'too_few_points' };
}

const BASE_SUBSCRIPT = /^([0-9A-Fa-f]+)_\{?(\d{1,2})\}?$/;

function clockTime(s: string): string | null {
  const m = /^(\d{1,2}):(\d{2})\s*(a\.?\s*m\.?|p\.?\s*m\.?)?$/i.exec(s.trim());
  if (!m || m[3] === undefined) return null;
  return `${Number(m[1])}:${m[2]}${(m[3] as string).toLowerCase().startsWith('a') ? 'am' : 'pm'}`;
}

/** Equivalence of two scalar answers (normalized strings). */
export function compareScalars(gold: string, pred: string, budget: Budget): Verdict {
  const gc = compact(gold);
  const pc = compact(pred);
  if (gc === pc) return { equal: true, reason: 'exact' };

  const gu = stripUnits(gold);
  const pu = stripUnits(pred);
  const gp = plain(gu);
  const pp = plain(pu);
  const guc = gp.replace(/\s+/g, '');
  const puc = pp.replace(/\s+/g, '');
  // Units are ignored, not converted: but 18 minutes is not 18 hours.
  const gUnit = gu === gold ? null : knownUnit(gold, gu);
  const pUnit = pu === pred ? null : knownUnit(pred, pu);
  if (gUnit !== null && pUnit !== null && gUnit !== pUnit) return { equal: false, reason: 'unit' };
  if (guc === puc && guc !== '') return { equal: true, reason: 'exact' };

  // "52_8" against "52": the digits of a number in base 8, written without the base.
  const gBase = BASE_SUBSCRIPT.exec(guc);
  const pBase = BASE_SUBSCRIPT.exec(puc);
  if ((gBase || pBase) && !(gBase && pBase)) {
    const other = gBase ? puc : guc;
    if (/^[0-9A-Fa-f]+$/.test(other))
      return { equal: (gBase?.[1] ?? guc) === (pBase?.[1] ?? puc), reason: 'base' };
  }
  // Clock times: "3:30 p.m." = "3:30 PM".
  const gTime = clockTime(gp);
  const pTime = clockTime(pp);
  if (gTime !== null || pTime !== null) return { equal: gTime === pTime, reason: 'time' };

  const gInf = infinitySign(guc);
  const pInf = infinitySign(puc);
  if (gInf || pInf) return { equal: gInf === pInf, reason: 'infinity' };

  const gn = parseNumeric(gp);
  const pn = parseNumeric(pp);
  if (gn && pn) return { equal: numericEqual(gn, pn), reason: gn.ratio || pn.ratio ? 'fraction' : 'number' };

  const gText = isText(gp);
  const pText = isText(pp);
  if (gText || pText) {
    if (gText && pText) return { equal: textEqual(gp, pp), reason: 'text' };
    return { equal: false, reason: 'text' };
  }

  budget.check();
  const ge = parseScalar(gu, budget);
  const pe = parseScalar(pu, budget);
  if (ge === null) return { equal: false, reason: 'gold_unparsed' };
  if (pe === null) return { equal: false, reason: 'unparsed' };
  const approximate = Boolean(gn?.approximate || pn?.approximate) || hasDecimal(ge) || hasDecimal(pe);
  const verdict = compareExpressions(ge, pe, approximate, budget);
  // A percent with a number on the other side: X% also reads as X (see numericEqual).
  if (verdict.equal === false && (gn?.percent || pn?.percent)) {
    const strip = (s: string) => s.replace(/%/g, '');
    const ge2 = parseScalar(strip(gu), budget);
    const pe2 = parseScalar(strip(pu), budget);
    if (ge2 !== null && pe2 !== null && compareExpressions(ge2, pe2, approximate, budget).equal) {
      return { equal: true, reason: 'expression' };
    }
  }
  return verdict;
}

/** lhs1 - rhs1 and lhs2 - rhs2 proportional by a nonzero constant: the same equation. */
export function compareEquations(
  g: { lhs: string; rhs: string },
  p: { lhs: string; rhs: string },
  budget: Budget,
): Verdict {
  const parts = [g.lhs, g.rhs, p.lhs, p.rhs].map((x) => parseScalar(x, budget));
  if (parts.some((x) => x === null)) return { equal: false, reason: 'equation_unparsed' };
  const [gl, gr, pl, pr] = parts as MathJson[];
  const f: MathJson = ['Subtract', gl as MathJson, gr as MathJson];
  const h: MathJson = ['Subtract', pl as MathJson, pr as MathJson];
  const vars = [...new Set([...freeVariables(f), ...freeVariables(h)])].sort();
  const tol = hasDecimal(f) || hasDecimal(h) ? 1e-4 : 1e-8;
  let ratio: Cx.C | null = null;
  let valid = 0;
  for (let k = 0; k < SAMPLES.length; k++) {
    const env = pointEnv(vars, k);
    let a: Cx.C;
    let b: Cx.C;
    try {
      a = evaluate(f, env, budget);
      b = evaluate(h, env, budget);
    } catch (e) {
      if (e instanceof NotEvaluable) return { equal: null, reason: 'not_evaluable' };
      if (e instanceof NonFinite) continue;
      throw e;
    }
    if (!Cx.finite(a) || !Cx.finite(b)) continue;
    const za = Cx.abs(a) < 1e-12;
    const zb = Cx.abs(b) < 1e-12;
    if (za && zb) continue;
    if (za !== zb) return { equal: false, reason: 'equation' };
    const r = Cx.div(a, b);
    if (ratio === null) ratio = r;
    else if (!Cx.close(ratio, r, tol, 1e-12)) return { equal: false, reason: 'equation' };
    valid++;
  }
  if (valid >= 3 || (vars.length === 0 && valid >= 1)) return { equal: true, reason: 'equation' };
  return { equal: null, reason: 'too_few_points' };
}
