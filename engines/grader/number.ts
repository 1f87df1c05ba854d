// Plain numeric literals and simple fractions: the cheap stage that decides most answers without
// a parser. Values carry whether they are exact (integers, ratios of integers) or decimals
// (which get the relative tolerance).

export interface NumericValue {
  value: number;
  /** True for decimals and scientific notation: compared with the relative tolerance. */
  approximate: boolean;
  /** Written with a percent sign: the number and the number / 100 are both accepted. */
  percent: boolean;
  /** Exact integers as canonical decimal digits (sign included), compared as strings. */
  integer?: string;
  /** Exact rationals: numerator and denominator (denominator > 0). */
  ratio?: [bigint, bigint];
}

const MAX_DIGITS = 400;

// Mantissa with optional thousands separators (comma or space groups of three), optional
// fraction, optional exponent written as e-notation or "× 10^{k}". No nested quantifiers.
const NUMBER_RE =
  /^([+-])?\s*(\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+)|\s*(?:\\times|\\cdot|\*|x)\s*10\s*\^\s*\{?\s*([+-]?\d+)\s*\}?)?$/;

/** Parses a plain number (thousands separators, decimals, scientific notation, percent). */
export function parseNumber(s: string): NumericValue | null {
  let t = s.trim();
  let percent = false;
  if (t.endsWith('%')) {
    percent = true;
    t = t.slice(0, -1).trim();
  }
  if (t.length === 0 || t.length > MAX_DIGITS + 40) return null;
  const m = NUMBER_RE.exec(t);
  if (!m) return null;
  const sign = m[1] === '-' ? '-' : '';
  const intPart = (m[2] ?? '').replace(/[, ]/g, '');
  const frac = m[3];
  const exp = m[4] ?? m[5];
  if (intPart === '' && (frac === undefined || frac === '')) return null;
  const mantissa = `${intPart || '0'}${frac ? `.${frac}` : ''}`;
  const value = Number(`${sign}${mantissa}${exp !== undefined ? `e${exp}` : ''}`);
  if (!Number.isFinite(value)) return null;
  const hasFraction = frac !== undefined && /[1-9]/.test(frac);
  const approximate = hasFraction || exp !== undefined;
  const out: NumericValue = { value, approximate, percent };
  if (!approximate) {
    const digits = intPart.replace(/^0+(?=\d)/, '') || '0';
    out.integer = digits === '0' ? '0' : `${sign}${digits}`;
  }
  return out;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function ratio(num: bigint, den: bigint): NumericValue | null {
  if (den === 0n) return null;
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den) || 1n;
  num /= g;
  den /= g;
  return {
    value: Number(num) / Number(den),
    approximate: false,
    percent: false,
    ratio: [num, den],
    ...(den === 1n ? { integer: num.toString() } : {}),
  };
}

const INT = String.raw`(\d{1,${MAX_DIGITS}})`;
// \frac{a}{b}, \frac ab, \frac a{b}, \frac{a}b with integer a, b; optional sign; optional
// whole part for mixed numbers (2\frac{1}{4} = 9/4, as in MATH answers).
const FRAC_RE = new RegExp(
  String.raw`^([+-])?\s*(?:${INT}\s*)?\\frac\s*(?:\{\s*([+-]?)\s*${INT}\s*\}|(\d))\s*(?:\{\s*${INT}\s*\}|(\d))$`,
);
const SLASH_RE = new RegExp(String.raw`^([+-])?\s*${INT}\s*/\s*${INT}$`);

/** Parses an exact fraction of integers: \frac{a}{b}, a/b, mixed numbers. */
export function parseFraction(s: string): NumericValue | null {
  const t = s.trim();
  let m = FRAC_RE.exec(t);
  if (m) {
    const neg = (m[1] === '-') !== (m[3] === '-');
    const whole = m[2] !== undefined ? BigInt(m[2]) : 0n;
    const a = BigInt((m[4] ?? m[5]) as string);
    const b = BigInt((m[6] ?? m[7]) as string);
    if (b === 0n) return null;
    // A sign inside the numerator with a whole part ("2\frac{-1}{4}") is not a mixed number.
    if (m[2] !== undefined && m[3] === '-') return null;
    const num = whole * b + a;
    return ratio(neg ? -num : num, b);
  }
  m = SLASH_RE.exec(t);
  if (m) {
    const a = BigInt(m[2] as string);
    const b = BigInt(m[3] as string);
    return ratio(m[1] === '-' ? -a : a, b);
  }
  return null;
}

/** A number or an exact fraction, or null. */
export function parseNumeric(s: string): NumericValue | null {
  return parseNumber(s) ?? parseFraction(s);
}

export const REL_TOL = 1e-4;

/** Equality of two values: exact unless either is a decimal, then relative tolerance 1e-4. */
export function closeEnough(a: number, b: number, approximate: boolean): boolean {
  if (a === b) return true;
  if (!approximate) {
    // Exact values that went through floating point (e.g. 1/3 computed two ways).
    return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
  }
  return Math.abs(a - b) <= REL_TOL * Math.max(Math.abs(a), Math.abs(b));
}

function plainEqual(a: NumericValue, b: NumericValue): boolean {
  if (a.integer !== undefined && b.integer !== undefined) return a.integer === b.integer;
  if (a.ratio && b.ratio) return a.ratio[0] === b.ratio[0] && a.ratio[1] === b.ratio[1];
  return closeEnough(a.value, b.value, a.approximate || b.approximate);
}

function scaled(a: NumericValue, by: number): NumericValue {
  // X% read as X/100: a decimal result, compared with the tolerance like a rounded value.
  return { value: a.value / by, approximate: true, percent: false };
}

/**
 * Numeric equality with the percent policy: "X%" matches X and X/100 (as math-verify does);
 * two percents compare their numbers.
 */
export function numericEqual(a: NumericValue, b: NumericValue): boolean {
  if (a.percent === b.percent) return plainEqual(a, b);
  const pct = a.percent ? a : b;
  const other = a.percent ? b : a;
  return plainEqual({ ...pct, percent: false }, other) || plainEqual(scaled(pct, 100), other);
}
