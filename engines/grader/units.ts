// Units, currency words and prose. Units are ignored (compared by value, not converted); an
// answer that is prose ("no solution", "Monday") is compared as text.

// Short unit names: only stripped when separated from the value by a space or written in
// \text{…}, so "6m" (six times m) stays an expression.
const UNIT_WORDS = new Set([
  'm',
  'cm',
  'mm',
  'km',
  'nm',
  'um',
  'g',
  'kg',
  'mg',
  's',
  'ms',
  'h',
  'hr',
  'hrs',
  'min',
  'mins',
  'sec',
  'secs',
  'l',
  'L',
  'ml',
  'mL',
  'ft',
  'in',
  'yd',
  'mi',
  'lb',
  'lbs',
  'oz',
  'mph',
  'kph',
  'N',
  'J',
  'W',
  'V',
  'K',
  'Pa',
  'Hz',
  'eV',
  'deg',
  'rad',
  'sq',
  'cc',
  'pt',
  'qt',
  'gal',
  'ly',
  'AU',
  'pc',
  'kJ',
  'kW',
  'MHz',
  'GHz',
  'kHz',
  'mA',
  'kPa',
  'atm',
  'mol',
  'km/h',
  'm/s',
  'cm/s',
]);

// Units unambiguous enough to strip when written against the value ("36\sqrt{7}cm^{3}").
const UNSPACED_UNITS = new Set([
  'cm',
  'mm',
  'km',
  'kg',
  'mg',
  'ml',
  'mL',
  'ft',
  'mph',
  'kph',
  'sec',
  'hrs',
  'km/h',
  'm/s',
]);

// Words that are mathematics, not units or prose (function names, constants).
export const MATH_WORDS: ReadonlySet<string> = new Set([
  'sin',
  'cos',
  'tan',
  'cot',
  'sec',
  'csc',
  'log',
  'ln',
  'exp',
  'max',
  'min',
  'sqrt',
  'pi',
  'lim',
  'det',
  'gcd',
  'lcm',
  'mod',
  'arcsin',
  'arccos',
  'arctan',
  'sinh',
  'cosh',
  'tanh',
  'inf',
  'infty',
]);

const isLetter = (ch: string | undefined): boolean => ch !== undefined && /[a-zA-Z]/.test(ch);

/** Whether a trailing word list reads as a unit phrase. */
function unitPhrase(words: string[], spaced: boolean): boolean {
  if (words.length === 0 || words.length > 5) return false;
  if (words.some((w) => MATH_WORDS.has(w.toLowerCase()) && !UNIT_WORDS.has(w))) return false;
  const long = words.some((w) => w.length >= 3 && !UNIT_WORDS.has(w));
  if (long) return true;
  if (words.length === 1 && UNSPACED_UNITS.has(words[0] as string)) return true;
  return spaced && words.every((w) => UNIT_WORDS.has(w) || w === 'per' || w === 'square');
}

const EXPONENT_TAIL = /\s*\^\s*\{?\s*[23]\s*\}?$/;
const HEAD_END = /[\d}).!%]$/;

/** Removes a trailing unit ("50 gallons", "15 (days)", "6.5\text{ m}", "36\sqrt7\text{cm}^3"). */
export function stripUnits(s: string): string {
  let t = s.trim();
  // Trailing \text{…} groups (unit or prose after a value), possibly squared or cubed.
  for (let n = 0; n < 3; n++) {
    const m = /\\text\{([^{}]*)\}(\s*\^\s*\{?\s*[23]\s*\}?)?$/.exec(t);
    if (!m) break;
    const head = t.slice(0, m.index).trim();
    const body = (m[1] as string).trim();
    if (head === '' || !HEAD_END.test(head)) break;
    if (/^[a-zA-Z ./()]*$/.test(body) || body === '') t = head;
    else break;
  }
  // "(apples)", "(pieces of candy)" after a value (ASDiv writes answers this way).
  const paren = /^(.*[\d}.])\s*\(([a-zA-Z][a-zA-Z ]{0,40})\)$/.exec(t);
  if (paren) t = (paren[1] as string).trim();
  // Plain unit words at the end.
  let u = t.replace(EXPONENT_TAIL, '');
  let i = u.length;
  while (i > 0 && (isLetter(u[i - 1]) || u[i - 1] === ' ' || u[i - 1] === '/')) i--;
  if (i < u.length && i > 0) {
    let tail = u.slice(i);
    // The scan may have entered a command (\pi r): the tail starts after it.
    if (u[i - 1] === '\\') {
      const cut = tail.search(/[^a-zA-Z]/);
      if (cut < 0) return t;
      tail = tail.slice(cut);
      i += cut;
    }
    const head = u.slice(0, i).trimEnd();
    const words = tail.trim().split(/\s+/).filter(Boolean);
    if (head !== '' && HEAD_END.test(head) && unitPhrase(words, /\s/.test(u[i] ?? '') || u[i - 1] === ' ')) {
      u = head;
      return u;
    }
  }
  return t;
}

// Short answers that are words, not products of variables.
const SHORT_WORDS = /^(?:yes|no|none)$/i;

/** Prose: has a word of three or more letters that is not mathematics, and no LaTeX command. */
export function isText(plainText: string): boolean {
  if (/\\[a-zA-Z]/.test(plainText)) return false;
  if (SHORT_WORDS.test(plainText.trim())) return true;
  const words = plainText.match(/[a-zA-Z]{3,}/g);
  if (!words) return false;
  return words.some((w) => !MATH_WORDS.has(w.toLowerCase()));
}

/** Text equality: case, punctuation and spacing do not matter. */
export function textKey(plainText: string): string {
  return plainText.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

const NEGATION = /\b(?:not|no|never|neither|nor|cannot|can't|doesn't|don't|isn't|aren't)\b/i;
const words = (s: string): string[] => s.toLowerCase().match(/[a-z0-9]+/g) ?? [];

/**
 * Prose answers: equal text, or a sentence that ends with the gold's words and negates nothing
 * ("The series converges" for "converges"; not "The series never converges").
 */
export function textEqual(gold: string, pred: string): boolean {
  if (textKey(gold) === textKey(pred)) return true;
  const g = words(gold);
  const p = words(pred);
  // "Yes, this is a subspace." against "Yes": the verdict word decides.
  const verdict = (w: string[], text: string) =>
    w.length > 0 &&
    /^(?:yes|no)$/.test(w[0] as string) &&
    (w.length === 1 || /^\s*(?:yes|no)\s*[,.;:!]/i.test(text))
      ? w[0]
      : null;
  const gv = verdict(g, gold);
  const pv = verdict(p, pred);
  if (gv && pv && (g.length === 1 || p.length === 1)) return gv === pv;
  if (g.length === 0 || p.length <= g.length || p.length > g.length + 6) return false;
  // "neither even nor odd" for "neither": a one-word gold opening a short elaboration of itself.
  if (
    g.length === 1 &&
    p[0] === g[0] &&
    p.length <= 4 &&
    !/\b(?:and|or|but)\b/.test(pred) &&
    NEGATION.test(gold)
  ) {
    return true;
  }
  if (NEGATION.test(pred) && !NEGATION.test(gold)) return false;
  return g.every((w, i) => p[p.length - g.length + i] === w);
}

// Unit names people and models write, by the unit they name. Only units in this table can make
// two answers differ; any other trailing word is ignored, as before.
const UNIT_SYNONYMS: Record<string, string[]> = {
  second: ['s', 'sec', 'secs', 'second', 'seconds'],
  minute: ['min', 'mins', 'minute', 'minutes'],
  hour: ['h', 'hr', 'hrs', 'hour', 'hours'],
  day: ['day', 'days'],
  week: ['week', 'weeks'],
  month: ['month', 'months'],
  year: ['year', 'years', 'yr', 'yrs'],
  millimeter: ['mm', 'millimeter', 'millimeters', 'millimetre', 'millimetres'],
  centimeter: ['cm', 'centimeter', 'centimeters', 'centimetre', 'centimetres'],
  meter: ['m', 'meter', 'meters', 'metre', 'metres'],
  kilometer: ['km', 'kilometer', 'kilometers', 'kilometre', 'kilometres'],
  inch: ['in', 'inch', 'inches'],
  foot: ['ft', 'foot', 'feet'],
  yard: ['yd', 'yds', 'yard', 'yards'],
  mile: ['mi', 'mile', 'miles'],
  gram: ['g', 'gram', 'grams'],
  kilogram: ['kg', 'kilogram', 'kilograms'],
  pound: ['lb', 'lbs', 'pound', 'pounds'],
  ounce: ['oz', 'ounce', 'ounces'],
  liter: ['l', 'L', 'liter', 'liters', 'litre', 'litres'],
  milliliter: ['ml', 'mL', 'milliliter', 'milliliters', 'millilitre', 'millilitres'],
  dollar: ['dollar', 'dollars', 'usd'],
  cent: ['cent', 'cents'],
  mile_per_hour: ['mph', 'mi/h', 'mi/hr'],
  kilometer_per_hour: ['km/h', 'kmh', 'kph', 'km/hr'],
  meter_per_second: ['m/s', 'm/sec'],
  degree: ['degree', 'degrees', 'deg'],
  radian: ['rad', 'radian', 'radians'],
};
const UNIT_OF = new Map<string, string>();
for (const [unit, names] of Object.entries(UNIT_SYNONYMS)) for (const n of names) UNIT_OF.set(n, unit);

/**
 * The unit an answer ends with, as a canonical name with its power ("centimeter^2"), when every
 * word of the unit phrase is a known unit; null otherwise (no unit, or words we do not know).
 */
export function knownUnit(answer: string, head: string): string | null {
  const rest = answer.trim().slice(head.trim().length);
  if (rest.trim() === '') return null;
  const power = /\^\s*\{?\s*([23])\s*\}?/.exec(rest)?.[1] ?? '';
  const words = rest
    .replace(/\\text\{([^{}]*)\}/g, ' $1 ')
    .replace(/\^\s*\{?\s*[23]\s*\}?/g, ' ')
    .replace(/[()]/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const square = words[0] === 'square' || words[0] === 'sq';
  const unitWords = square ? words.slice(1) : words;
  if (unitWords.length !== 1) return null;
  const w = unitWords[0] as string;
  const unit = UNIT_OF.get(w) ?? UNIT_OF.get(w.toLowerCase());
  if (unit === undefined) return null;
  return `${unit}^${square ? '2' : power || '1'}`;
}
