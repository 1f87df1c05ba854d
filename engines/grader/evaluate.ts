// Numeric evaluation of MathJSON in double-precision complex arithmetic. Every node costs O(1)
// (towers overflow to Infinity, factorials stop at 170, sums are capped), and the walk checks the
// time budget, so evaluation is bounded by the size of the tree.
import type { Budget } from './budget';
import * as Cx from './complex';
import type { MathJson } from './parse';

export class NotEvaluable extends Error {}

const MAX_SUM_TERMS = 10_000;

const CONSTANTS: Record<string, Cx.C> = {
  Pi: Cx.c(Math.PI),
  ExponentialE: Cx.c(Math.E),
  ImaginaryUnit: Cx.I,
  // The LaTeX parser leaves e and i as symbols without canonicalization; answers mean e and i.
  e: Cx.c(Math.E),
  i: Cx.I,
  PositiveInfinity: Cx.c(Number.POSITIVE_INFINITY),
  NegativeInfinity: Cx.c(Number.NEGATIVE_INFINITY),
  Half: Cx.c(0.5),
  GoldenRatio: Cx.c((1 + Math.sqrt(5)) / 2),
};

const UNARY: Record<string, (z: Cx.C) => Cx.C> = {
  Negate: Cx.neg,
  Sqrt: Cx.sqrt,
  Square: (z) => Cx.mul(z, z),
  Exp: Cx.exp,
  Ln: Cx.log,
  Lb: (z) => Cx.div(Cx.log(z), Cx.c(Math.LN2)),
  Lg: (z) => Cx.div(Cx.log(z), Cx.c(Math.LN10)),
  Sin: Cx.sin,
  Cos: Cx.cos,
  Tan: Cx.tan,
  Cot: (z) => Cx.div(Cx.c(1), Cx.tan(z)),
  Sec: (z) => Cx.div(Cx.c(1), Cx.cos(z)),
  Csc: (z) => Cx.div(Cx.c(1), Cx.sin(z)),
  Arcsin: Cx.asin,
  Arccos: Cx.acos,
  Arctan: Cx.atan,
  Arccot: (z) => Cx.atan(Cx.div(Cx.c(1), z)),
  Sinh: Cx.sinh,
  Cosh: Cx.cosh,
  Tanh: Cx.tanh,
  Abs: (z) => Cx.c(Cx.abs(z)),
};

const REAL_ONLY: Record<string, (x: number) => number> = {
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: Math.round,
  Factorial: Cx.factorial,
  Sign: Math.sign,
};

/** Symbol names as the two front-ends spell them, unified ("x_1" for x_{1}, "C" for \mathrm{C}). */
export function symbolName(e: MathJson): string | null {
  if (typeof e === 'string') {
    if (e.startsWith("'")) return null;
    return e.endsWith('_upright') ? e.slice(0, -8) : e;
  }
  if (Array.isArray(e) && (e[0] === 'At' || e[0] === 'Subscript') && e.length === 3) {
    const base = symbolName(e[1] as MathJson);
    const sub = e[2];
    const subName = typeof sub === 'number' ? String(sub) : symbolName(sub as MathJson);
    if (base !== null && subName !== null) return `${base}_${subName}`;
  }
  return null;
}

/** Free variables of an expression (bound sum indices excluded). */
export function freeVariables(
  e: MathJson,
  out: Set<string> = new Set(),
  bound: Set<string> = new Set(),
): Set<string> {
  if (typeof e === 'number' || (typeof e === 'object' && !Array.isArray(e))) return out;
  if (typeof e === 'string') {
    const name = symbolName(e);
    if (name !== null && !(e in CONSTANTS) && !bound.has(name)) out.add(name);
    return out;
  }
  const head = e[0];
  if (head === 'At' || head === 'Subscript') {
    const name = symbolName(e);
    if (name !== null && !bound.has(name)) out.add(name);
    return out;
  }
  if ((head === 'Sum' || head === 'Product') && e.length === 3) {
    const idx = sumIndex(e[2] as MathJson);
    const inner = new Set(bound);
    if (idx) inner.add(idx);
    freeVariables(e[1] as MathJson, out, inner);
    const limits = e[2];
    if (Array.isArray(limits)) for (const l of limits.slice(2)) freeVariables(l as MathJson, out, bound);
    return out;
  }
  if (head === 'Complex') return out;
  for (let i = 1; i < e.length; i++) freeVariables(e[i] as MathJson, out, bound);
  return out;
}

function sumIndex(limits: MathJson): string | null {
  if (!Array.isArray(limits) || limits.length < 2) return null;
  let idx = limits[1] as MathJson;
  if (Array.isArray(idx) && idx[0] === 'Hold') idx = idx[1] as MathJson;
  return symbolName(idx);
}

export type Env = ReadonlyMap<string, Cx.C>;

interface State {
  budget: Budget;
  steps: number;
}

function real(z: Cx.C): number {
  if (z.im !== 0) throw new NotEvaluable('real argument expected');
  return z.re;
}

function isSmallInt(e: MathJson): boolean {
  return typeof e === 'number' && Number.isInteger(e);
}

/**
 * A non-finite intermediate value (overflow such as 2004!, or a pole at this point). Going on
 * would turn 1/2004! into 0 and agree with anything small, so the point is dropped instead.
 */
export class NonFinite extends Error {}

function ev(e: MathJson, env: Env, st: State): Cx.C {
  const r = evNode(e, env, st);
  if (Array.isArray(e) && !Cx.finite(r)) throw new NonFinite();
  return r;
}

function evNode(e: MathJson, env: Env, st: State): Cx.C {
  if ((++st.steps & 255) === 0) st.budget.check();
  if (typeof e === 'number') return Cx.c(e);
  if (typeof e === 'string') {
    const k = CONSTANTS[e];
    if (k) return k;
    const name = symbolName(e);
    const v = name === null ? undefined : env.get(name);
    if (v === undefined) throw new NotEvaluable(`symbol ${e}`);
    return v;
  }
  if (!Array.isArray(e)) {
    const v = Number(e.num);
    if (Number.isNaN(v)) throw new NotEvaluable('number');
    return Cx.c(v);
  }
  const head = e[0];
  const args = e.slice(1) as MathJson[];
  if (typeof head !== 'string') throw new NotEvaluable('head');
  const unary = UNARY[head];
  if (unary && args.length === 1) return unary(ev(args[0] as MathJson, env, st));
  const realFn = REAL_ONLY[head];
  if (realFn && args.length === 1) return Cx.c(realFn(real(ev(args[0] as MathJson, env, st))));
  switch (head) {
    case 'Add': {
      let r = Cx.c(0);
      for (const a of args) r = Cx.add(r, ev(a, env, st));
      return r;
    }
    case 'Subtract':
      if (args.length === 1) return Cx.neg(ev(args[0] as MathJson, env, st));
      if (args.length !== 2) break;
      return Cx.sub(ev(args[0] as MathJson, env, st), ev(args[1] as MathJson, env, st));
    case 'Multiply': {
      let r = Cx.c(1);
      for (const a of args) r = Cx.mul(r, ev(a, env, st));
      return r;
    }
    case 'InvisibleOperator': {
      // "\exp(2)" parses as the function's name next to its argument.
      const fn = typeof args[0] === 'string' ? (UNARY[args[0]] ?? null) : null;
      if (fn && args.length >= 2) {
        let arg = Cx.c(1);
        for (const x of args.slice(1)) arg = Cx.mul(arg, ev(x, env, st));
        return fn(arg);
      }
      // Juxtaposition: a whole number before a fraction of integers is a mixed number
      // (2\frac{1}{4} = 9/4, as MATH writes them); anything else multiplies.
      const [a, b] = args;
      if (
        args.length === 2 &&
        isSmallInt(a as MathJson) &&
        Array.isArray(b) &&
        (b[0] === 'Rational' || b[0] === 'Divide') &&
        isSmallInt(b[1] as MathJson) &&
        isSmallInt(b[2] as MathJson)
      ) {
        return Cx.add(ev(a as MathJson, env, st), ev(b, env, st));
      }
      let r = Cx.c(1);
      for (const x of args) r = Cx.mul(r, ev(x, env, st));
      return r;
    }
    case 'Divide':
    case 'Rational':
      if (args.length !== 2) break;
      return Cx.div(ev(args[0] as MathJson, env, st), ev(args[1] as MathJson, env, st));
    case 'Power':
      if (args.length !== 2) break;
      return Cx.pow(ev(args[0] as MathJson, env, st), ev(args[1] as MathJson, env, st));
    case 'Root':
      if (args.length !== 2) break;
      return Cx.root(ev(args[0] as MathJson, env, st), ev(args[1] as MathJson, env, st));
    case 'Log': {
      if (args.length === 1) return Cx.div(Cx.log(ev(args[0] as MathJson, env, st)), Cx.c(Math.LN10));
      if (args.length !== 2) break;
      const base = ev(args[1] as MathJson, env, st);
      return Cx.div(Cx.log(ev(args[0] as MathJson, env, st)), Cx.log(base));
    }
    case 'Complex':
      if (args.length !== 2) break;
      return Cx.c(real(ev(args[0] as MathJson, env, st)), real(ev(args[1] as MathJson, env, st)));
    case 'Max':
    case 'Min': {
      if (args.length === 0) break;
      const vals = args.map((a) => real(ev(a, env, st)));
      return Cx.c(head === 'Max' ? Math.max(...vals) : Math.min(...vals));
    }
    case 'Delimiter':
    case 'Hold':
    case 'Sequence': {
      const body = args[0];
      if (body === undefined) break;
      if (Array.isArray(body) && body[0] === 'Sequence' && body.length !== 2) break;
      return ev(body, env, st);
    }
    case 'At':
    case 'Subscript': {
      const name = symbolName(e);
      const v = name === null ? undefined : env.get(name);
      if (v === undefined) break;
      return v;
    }
    case 'Sum':
    case 'Product':
      return sumOrProduct(head, args, env, st);
  }
  throw new NotEvaluable(head);
}

function sumOrProduct(head: string, args: MathJson[], env: Env, st: State): Cx.C {
  const [body, limits] = args;
  const idx = limits === undefined ? null : sumIndex(limits);
  if (body === undefined || idx === null || !Array.isArray(limits) || limits.length < 4) {
    throw new NotEvaluable(head);
  }
  const lo = real(ev(limits[2] as MathJson, env, st));
  const hi = real(ev(limits[3] as MathJson, env, st));
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi - lo > MAX_SUM_TERMS) {
    throw new NotEvaluable(`${head} range`);
  }
  const inner = new Map(env);
  let r = Cx.c(head === 'Sum' ? 0 : 1);
  for (let k = lo; k <= hi; k++) {
    inner.set(idx, Cx.c(k));
    const t = ev(body, inner, st);
    r = head === 'Sum' ? Cx.add(r, t) : Cx.mul(r, t);
  }
  return r;
}

/** Evaluates at one point of the free variables. Throws NotEvaluable or OutOfTime. */
export function evaluate(e: MathJson, env: Env, budget: Budget): Cx.C {
  return ev(e, env, { budget, steps: 0 });
}

/** Whether the tree contains a node no evaluation can handle (errors, text, relations). */
export function hasError(e: MathJson): boolean {
  if (typeof e === 'string') return e.startsWith("'") || e === 'Nothing';
  if (!Array.isArray(e)) return false;
  if (e[0] === 'Error') return true;
  for (let i = 1; i < e.length; i++) if (hasError(e[i] as MathJson)) return true;
  return false;
}

/** Whether a decimal literal appears (then the comparison gets the relative tolerance). */
export function hasDecimal(e: MathJson): boolean {
  if (typeof e === 'number') return !Number.isInteger(e);
  if (typeof e === 'string') return false;
  if (!Array.isArray(e)) return true;
  for (let i = 1; i < e.length; i++) if (hasDecimal(e[i] as MathJson)) return true;
  return false;
}
