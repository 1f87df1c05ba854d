// Minimal complex arithmetic with principal branches, so expressions such as 6-5i, e^{i\pi} or
// \sqrt{x-3} at a sample point evaluate the same way on both sides of a comparison. Real inputs
// take the Math.* path for full precision.

export interface C {
  re: number;
  im: number;
}

export const c = (re: number, im = 0): C => ({ re, im });
export const I: C = c(0, 1);

export const isReal = (z: C): boolean => z.im === 0;
export const abs = (z: C): number => (z.im === 0 ? Math.abs(z.re) : Math.hypot(z.re, z.im));
export const finite = (z: C): boolean => Number.isFinite(z.re) && Number.isFinite(z.im);

export const add = (a: C, b: C): C => c(a.re + b.re, a.im + b.im);
export const sub = (a: C, b: C): C => c(a.re - b.re, a.im - b.im);
export const neg = (a: C): C => c(-a.re, -a.im);

export function mul(a: C, b: C): C {
  if (a.im === 0 && b.im === 0) return c(a.re * b.re);
  return c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
}

export function div(a: C, b: C): C {
  if (a.im === 0 && b.im === 0) return c(a.re / b.re);
  const d = b.re * b.re + b.im * b.im;
  if (d === 0) return c(Number.NaN, Number.NaN);
  return c((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);
}

export function exp(z: C): C {
  if (z.im === 0) return c(Math.exp(z.re));
  const r = Math.exp(z.re);
  return c(r * Math.cos(z.im), r * Math.sin(z.im));
}

export function log(z: C): C {
  if (z.im === 0 && z.re > 0) return c(Math.log(z.re));
  return c(Math.log(abs(z)), Math.atan2(z.im, z.re));
}

export function sqrt(z: C): C {
  if (z.im === 0) return z.re >= 0 ? c(Math.sqrt(z.re)) : c(0, Math.sqrt(-z.re));
  const r = abs(z);
  const re = Math.sqrt((r + z.re) / 2);
  const im = Math.sign(z.im) * Math.sqrt((r - z.re) / 2);
  return c(re, im);
}

export function pow(a: C, b: C): C {
  if (a.im === 0 && b.im === 0) {
    const r = a.re ** b.re;
    if (!Number.isNaN(r)) return c(r);
    // Negative base, fractional exponent: principal complex value.
  }
  if (b.im === 0 && Number.isInteger(b.re) && Math.abs(b.re) <= 64) {
    // Repeated squaring keeps small integer powers of complex numbers exact-ish.
    let n = Math.abs(b.re);
    let base = a;
    let r = c(1);
    while (n > 0) {
      if (n & 1) r = mul(r, base);
      base = mul(base, base);
      n >>= 1;
    }
    return b.re < 0 ? div(c(1), r) : r;
  }
  if (a.re === 0 && a.im === 0) return b.re > 0 ? c(0) : c(Number.NaN, Number.NaN);
  return exp(mul(b, log(a)));
}

/** Real n-th root for odd n of a negative real (\sqrt[3]{-8} = -2), principal otherwise. */
export function root(a: C, n: C): C {
  if (a.im === 0 && n.im === 0 && a.re < 0 && Number.isInteger(n.re) && Math.abs(n.re) % 2 === 1) {
    return c(-((-a.re) ** (1 / n.re)));
  }
  return pow(a, div(c(1), n));
}

export function sin(z: C): C {
  if (z.im === 0) return c(Math.sin(z.re));
  return c(Math.sin(z.re) * Math.cosh(z.im), Math.cos(z.re) * Math.sinh(z.im));
}

export function cos(z: C): C {
  if (z.im === 0) return c(Math.cos(z.re));
  return c(Math.cos(z.re) * Math.cosh(z.im), -Math.sin(z.re) * Math.sinh(z.im));
}

export const tan = (z: C): C => (z.im === 0 ? c(Math.tan(z.re)) : div(sin(z), cos(z)));

export function asin(z: C): C {
  if (z.im === 0 && Math.abs(z.re) <= 1) return c(Math.asin(z.re));
  // -i log(iz + sqrt(1 - z^2))
  const w = log(add(mul(I, z), sqrt(sub(c(1), mul(z, z)))));
  return c(w.im, -w.re);
}

export function acos(z: C): C {
  if (z.im === 0 && Math.abs(z.re) <= 1) return c(Math.acos(z.re));
  return sub(c(Math.PI / 2), asin(z));
}

export function atan(z: C): C {
  if (z.im === 0) return c(Math.atan(z.re));
  // (i/2) (log(1 - iz) - log(1 + iz))
  const iz = mul(I, z);
  const d = sub(log(sub(c(1), iz)), log(add(c(1), iz)));
  return c(-d.im / 2, d.re / 2);
}

export const sinh = (z: C): C => div(sub(exp(z), exp(neg(z))), c(2));
export const cosh = (z: C): C => div(add(exp(z), exp(neg(z))), c(2));
export const tanh = (z: C): C => div(sinh(z), cosh(z));

const LANCZOS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
  12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
];

/** Γ(x) for real x (Lanczos, g = 7). */
export function gamma(x: number): number {
  if (Number.isInteger(x) && x <= 0) return Number.NaN;
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const y = x - 1;
  let a = LANCZOS[0] as number;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (y + i);
  return Math.sqrt(2 * Math.PI) * t ** (y + 0.5) * Math.exp(-t) * a;
}

/** n! for real n: exact product for small integers, Γ(n+1) otherwise; Infinity past 170. */
export function factorial(n: number): number {
  if (n > 170) return Number.POSITIVE_INFINITY;
  if (Number.isInteger(n)) {
    if (n < 0) return Number.NaN;
    let r = 1;
    for (let k = 2; k <= n; k++) r *= k;
    return r;
  }
  return gamma(n + 1);
}

/** Relative closeness of two complex values (absolute near zero). */
export function close(a: C, b: C, tol: number, zeroTol: number): boolean {
  if (a.re === b.re && a.im === b.im) return true;
  const d = Math.hypot(a.re - b.re, a.im - b.im);
  const scale = Math.max(abs(a), abs(b));
  return d <= tol * scale || d <= zeroTol;
}
