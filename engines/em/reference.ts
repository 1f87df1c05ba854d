// The reference strategy q(m|x) ∝ prior(m|x)·exp(Q(x,m)/α) for two methods, as the logistic
// function of the log-odds d = log prior_cot − log prior_code + (Q_cot − Q_code)/α: no overflow
// for any α > 0, and α = 0 is the hard max.
import type { Method } from './types';

export interface Reference {
  ref_cot: number;
  ref_code: number;
}

/** σ(d) without overflow; exact 0/1 at ±∞. */
function sigmoid(d: number): number {
  if (d >= 0) return 1 / (1 + Math.exp(-d));
  const e = Math.exp(d);
  return e / (1 + e);
}

/** Probabilities of cot and code from a log-odds d; the smaller one is computed directly, so it keeps its precision. */
function fromLogOdds(d: number): Reference {
  if (d >= 0) {
    const code = sigmoid(-d);
    return { ref_cot: 1 - code, ref_code: code };
  }
  const cot = sigmoid(d);
  return { ref_cot: cot, ref_code: 1 - cot };
}

/** Native prior with Laplace smoothing s; uniform when there is nothing to count and no smoothing. */
export function nativePrior(nativeCot: number, nativeCode: number, s: number): Reference {
  const denom = nativeCot + nativeCode + 2 * s;
  if (denom === 0) return { ref_cot: 0.5, ref_code: 0.5 };
  return { ref_cot: (nativeCot + s) / denom, ref_code: (nativeCode + s) / denom };
}

/**
 * Reference probabilities given both Q values. α = 0: 1 on argmax Q, ties → cot, prior ignored.
 * α > 0: a method with prior 0 gets probability 0 (0·exp(finite) = 0), whatever its Q.
 */
export function reference(
  qCot: number,
  qCode: number,
  priorCot: number,
  priorCode: number,
  alpha: number,
): Reference {
  if (alpha === 0) return qCot >= qCode ? { ref_cot: 1, ref_code: 0 } : { ref_cot: 0, ref_code: 1 };
  if (priorCot === 0) return { ref_cot: 0, ref_code: 1 };
  if (priorCode === 0) return { ref_cot: 1, ref_code: 0 };
  const d = Math.log(priorCot) - Math.log(priorCode) + (qCot - qCode) / alpha;
  return fromLogOdds(d);
}

/** Decision drawn from the reference with a uniform u ∈ [0, 1): cot when u < ref_cot. */
export function drawDecision(ref: Reference, u: number): Method {
  return u < ref.ref_cot ? 'cot' : 'code';
}
