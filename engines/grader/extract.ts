// Final-answer extraction from a model response, under one of two named policies.
//
// strict (rewards): only answers the response marks as final — the last \boxed{…} / \fbox{…},
//   an explicit "the answer is …" / "Final answer: …" statement, the GSM8K "#### n" line, or the
//   output of the last code block when the response ends on it. A reward that also took unmarked
//   text would pay the policy for not marking its answer (and be gameable by listing values).
// lenient (evaluation, reports): the strict sources first, then the last math expression of the
//   response ($…$, \(…\), \[…\], $$…$$), then a response that is itself one short expression, then
//   the last number near the end.
// Every result says why it was chosen. All scans are linear (no backtracking regexes over the
// whole response).
import type { ExtractionPolicy } from '../../schemas/grader';
import { matchBrace } from './text';
import { MATH_WORDS } from './units';

export { EXTRACTION_POLICIES, type ExtractionPolicy } from '../../schemas/grader';

export type AnswerSource =
  | 'boxed'
  | 'answer_is'
  | 'gsm8k'
  | 'code_output'
  | 'last_math'
  | 'whole_response'
  | 'last_number'
  | 'last_clause'
  | 'none';

export interface ExtractedAnswer {
  answer: string | null;
  source: AnswerSource;
  /** Why this answer (or none) was chosen, for people reading a grade. */
  why: string;
}

const BOX_COMMANDS = ['\\boxed', '\\fbox'];
// What may separate boxed answers that together form one answer: "\\boxed{2} and \\boxed{3}",
// "a = \\boxed{-6} or a = \\boxed{2}", "(1) \\boxed{48} (2) \\boxed{384}".
const BOX_JOINER =
  /^[\s$,.;]*(?:(?:and|or|,|\\text\{\s*(?:and|or|,)\s*\}|\\quad|\\qquad)[\s$,;]*)?(?:\(\w{1,3}\)\s*|[a-zA-Z](?:_\{?\w\}?)?\s*=\s*)?[\s$]*$/;
const MAX_JOINED = 16;
const MAX_JOIN_WINDOW = 2000;

/** Start of the last box command before `end` (and not before `from`), and its name. */
function boxBefore(response: string, end: number, from = 0): { at: number; cmd: string } | null {
  let at = -1;
  let cmd = '';
  if (end < from) return null;
  // Searching a slice bounds the scan when a command is absent (lastIndexOf would run to 0).
  const window = from > 0 ? response.slice(from, end + 8) : response;
  for (const c of BOX_COMMANDS) {
    const i = window.lastIndexOf(c, end - from);
    if (i >= 0 && i + from > at) {
      at = i + from;
      cmd = c;
    }
  }
  return at < 0 ? null : { at, cmd };
}

/** The last boxed answer, joined with boxed answers right before it (a multi-part answer). */
function lastBoxed(response: string): { answer: string; boxes: number; end: number } | null {
  let last = boxBefore(response, response.length);
  if (last === null) return null;
  let first = boxContent(response, last.at, last.cmd);
  // An empty box after the answer ("\boxed{2}.\boxed{}") is noise: look one further back.
  for (let n = 0; n < 3 && first === null && isEmptyBox(response, last.at, last.cmd); n++) {
    last = boxBefore(response, last.at - 1);
    if (last === null) return null;
    first = boxContent(response, last.at, last.cmd);
  }
  if (first === null) return null;
  const parts = [first.content];
  const end = first.end;
  let start = last.at;
  for (let n = 0; n < MAX_JOINED; n++) {
    // A joined box must end within 40 characters of the next: look back a bounded window.
    const prev = boxBefore(response, start - 1, Math.max(0, start - MAX_JOIN_WINDOW));
    if (prev === null) break;
    const box = boxContent(response, prev.at, prev.cmd);
    if (box === null || box.end > start || start - box.end > 40) break;
    if (!BOX_JOINER.test(response.slice(box.end, start))) break;
    parts.unshift(box.content);
    start = prev.at;
  }
  return { answer: parts.join(', '), boxes: parts.length, end };
}

function isEmptyBox(response: string, at: number, cmd: string): boolean {
  return /^\s*\{\s*\}/.test(response.slice(at + cmd.length, at + cmd.length + 16));
}

function boxContent(response: string, at: number, cmd: string): { content: string; end: number } | null {
  let i = at + cmd.length;
  while (response[i] === ' ') i++;
  if (response[i] === '{') {
    const end = matchBrace(response, i);
    if (end < 0) return null; // truncated: no trustworthy answer here
    const inner = response.slice(i + 1, end).trim();
    return inner === '' ? null : { content: inner, end: end + 1 };
  }
  // "\boxed 5": one token.
  if (i === at + cmd.length) return null; // "\boxedx" is another command
  let j = i;
  while (j < response.length && !/[\s$]/.test(response[j] as string)) j++;
  const token = response.slice(i, j).trim();
  return token === '' ? null : { content: token, end: j };
}

// A statement that gives a value (a number, math, a choice letter), not a verdict ("is correct").
const STATED_VALUE = /\d|\$|\\|^\(?[A-Z]\)?$/;

const ANSWER_MARKERS = [
  'answer is',
  'answer:',
  'answer**:',
  'answer:**',
  'answer**',
  'correct choice is',
  'correct option is',
  'the choice is',
  'the option is',
];

function answerIs(response: string): { answer: string; marker: string; at: number } | null {
  // Only the tail can hold the statement that ends a response; bounds the scans below.
  const tail = response.length > 20_000 ? response.slice(-20_000) : response;
  const lower = tail.toLowerCase();
  let at = -1;
  let marker = '';
  for (const m of ANSWER_MARKERS) {
    const i = lower.lastIndexOf(m);
    if (i > at || (i === at && m.length > marker.length)) {
      at = i;
      marker = m;
    }
  }
  if (at < 0) return null;
  let rest = tail.slice(at + marker.length);
  rest = rest.replace(/^[\s:*#]+/, '');
  // "**Final Answer**\n\n$42$": the statement is on the next non-empty line.
  const nl = rest.indexOf('\n');
  if (nl >= 0) rest = rest.slice(0, nl);
  // End of sentence: a period followed by a space or the end ("3.5 cm." keeps 3.5), outside math.
  rest = cutSentence(rest);
  rest = rest.replace(/\*+/g, '').trim();
  if (rest === '') return null;
  return {
    answer: statedValue(rest),
    marker: marker.replace(/\*+/g, ''),
    at: response.length - tail.length + at,
  };
}

/** The text up to the first sentence end that is not inside $…$ or \(…\). */
function cutSentence(s: string): string {
  let inMath = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '(' || s[i + 1] === '[')) inMath = true;
    else if (c === '\\' && (s[i + 1] === ')' || s[i + 1] === ']')) inMath = false;
    else if (c === '\\') i++;
    else if (c === '$') inMath = !inMath;
    else if (c === '.' && !inMath && (i + 1 === s.length || /\s/.test(s[i + 1] as string)))
      return s.slice(0, i);
  }
  return s;
}

// Words that are not prose inside a stated answer (units, "or"/"and" between values).
const PROSE_WORD = /(?<![\\a-zA-Z])[a-zA-Z]{3,}/g;

/**
 * The value a statement gives: "the smallest $k$ is 12" → "12", "we get $x = 5$" → "x = 5".
 * Statements that are already a value are kept whole (units and words after a value included).
 */
function statedValue(full: string): string {
  // "Yes, the vectors are linearly independent.": a verdict, whole.
  if (/^\s*(?:yes|no)\b/i.test(full)) return full;
  // "2220, which is indeed divisible by 30", "7, because $84 \\div 12 = 7$": the value, not the reason.
  const clause =
    /^([^,;]{1,80}?)\s*[,;]?\s+(?:which|because|since|as|so that|and this|where|for all|when)\b/i.exec(full);
  const phrase = clause && !insideMath(full, (clause[1] as string).length) ? (clause[1] as string) : full;
  // One scan of the phrase's math serves the word count, the verb search and the fallback.
  const math = mathSegments(phrase);
  const outsideMath = stripMath(phrase, math);
  const words = outsideMath.match(PROSE_WORD) ?? [];
  if (words.length < 2) return phrase;
  const lower = phrase.toLowerCase();
  let cut = -1;
  for (const verb of [' is ', ' are ', ' equals ', ' be ', ' was ', ' gives ', ' get ', ' obtain ']) {
    const i = lower.lastIndexOf(verb);
    if (i >= 0 && !insideMath(phrase, i, math) && i + verb.length > cut) cut = i + verb.length;
  }
  if (cut > 0) {
    const after = phrase.slice(cut).trim();
    if (after !== '') return after;
  }
  const last = math[math.length - 1];
  return last ? last.content : phrase;
}

function stripMath(s: string, segments: MathSegment[] = mathSegments(s)): string {
  let out = s;
  for (const m of [...segments].reverse()) out = out.slice(0, m.start) + out.slice(m.end);
  return out;
}

function insideMath(s: string, at: number, segments: MathSegment[] = mathSegments(s)): boolean {
  return segments.some((m) => m.start < at && at < m.end);
}

function gsm8k(response: string): string | null {
  const at = response.lastIndexOf('####');
  if (at < 0) return null;
  let rest = response.slice(at + 4);
  const nl = rest.indexOf('\n');
  if (nl >= 0) rest = rest.slice(0, nl);
  rest = rest.trim();
  return rest === '' ? null : rest;
}

const OUTPUT_FENCE = '```output';

function codeOutput(response: string): string | null {
  const t = response.trimEnd();
  if (!t.endsWith('```')) return null;
  const open = t.lastIndexOf(OUTPUT_FENCE);
  if (open < 0) return null;
  const body = t.slice(open + OUTPUT_FENCE.length, t.length - 3);
  if (body.includes('```')) return null; // the last fence closes some other block
  if (/Traceback \(most recent call last\)|^\w*Error\b/m.test(body)) return null;
  const lines = body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.length > 0 ? (lines[lines.length - 1] as string) : null;
}

interface MathSegment {
  content: string;
  start: number;
  end: number;
  display: boolean;
}

const MAX_SEGMENTS = 64;

/**
 * Math segments of a text in order: $$…$$, \[…\], $…$, \(…\) and equation-like environments.
 * One linear pass; keeps the last MAX_SEGMENTS. An escaped dollar (\$) is currency, not math.
 */
function mathSegments(s: string): MathSegment[] {
  const out: MathSegment[] = [];
  const push = (seg: MathSegment) => {
    out.push(seg);
    if (out.length > MAX_SEGMENTS) out.shift();
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '[' || n === '(') {
        const close = n === '[' ? '\\]' : '\\)';
        const end = s.indexOf(close, i + 2);
        if (end < 0) break;
        push({ content: s.slice(i + 2, end), start: i, end: end + 2, display: n === '[' });
        i = end + 2;
        continue;
      }
      if (s.startsWith('\\begin{', i)) {
        const env = /^\\begin\{(equation\*?|align\*?|gather\*?|displaymath)\}/.exec(s.slice(i, i + 30));
        if (env) {
          const closeTag = `\\end{${env[1]}}`;
          const end = s.indexOf(closeTag, i);
          if (end < 0) break;
          push({
            content: s.slice(i + env[0].length, end),
            start: i,
            end: end + closeTag.length,
            display: true,
          });
          i = end + closeTag.length;
          continue;
        }
      }
      i += 2;
      continue;
    }
    if (c === '$') {
      const display = s[i + 1] === '$';
      const from = i + (display ? 2 : 1);
      const end = closingDollar(s, from, display);
      if (end < 0) break;
      const content = s.slice(from, end);
      // "$18 a day and $20": the first dollar is currency; resume right after it.
      if (!display && isCurrency(content)) {
        i++;
        continue;
      }
      push({ content, start: i, end: end + (display ? 2 : 1), display });
      i = end + (display ? 2 : 1);
      continue;
    }
    i++;
  }
  return out;
}

function closingDollar(s: string, from: number, display: boolean): number {
  for (let j = from; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') {
      j++;
      continue;
    }
    if (c !== '$') continue;
    if (!display) return j;
    if (s[j + 1] === '$') return j;
  }
  return -1;
}

/**
 * The last right side of a chain "6 \cdot 7 = 42" or "a = b = 42"; an assignment to a name
 * ("x = 5", "f(x) = 2x", "(a, b) = (4, 1)") is left for equivalence, which reads both sides.
 */
function chainValue(math: string): string {
  // Several values ("x = -1, y = 6", "x = 1 or x = 2") are left whole.
  if (/[,;]|\\text|\b(?:or|and)\b/.test(math)) return math;
  const parts = splitEquals(math);
  if (parts.length < 2) return math;
  const lhs = (parts[0] as string).trim();
  const rhs = (parts[parts.length - 1] as string).trim();
  if (rhs === '') return math;
  if (parts.length === 2 && isNamed(lhs)) return math;
  return rhs;
}

/** Splits at top-level "=" (not "\leq", "<=", "!=", "\neq"). */
function splitEquals(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth--;
    else if (c === '=' && depth === 0 && !/[<>!:]/.test(s[i - 1] ?? '') && s[i + 1] !== '=') {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** A left side that names something: no digit-only arithmetic ("x", "f(x)", "AB", "(a, b)"). */
function isNamed(lhs: string): boolean {
  const bare = lhs.replace(/\\[a-zA-Z]+/g, '').replace(/[\s{}]/g, '');
  return /[a-zA-Z]/.test(bare) || /\\(?:angle|overline|frac\{[A-Z])/.test(lhs);
}

function proseWords(m: string): number {
  const words =
    m
      .replace(/\\(?:text|mbox|mathrm|textbf)\{[^}]*\}/g, '')
      .replace(/\\(?:begin|end)\{[a-zA-Z*]+\}/g, ' ')
      .match(PROSE_WORD) ?? [];
  return words.filter((w) => !MATH_WORDS.has(w.toLowerCase()) && !/^(?:and|or)$/i.test(w)).length;
}

/** "$18 a day and $": a price, not math (a number first, then prose). */
function isCurrency(content: string): boolean {
  return /^\s*\d/.test(content) && proseWords(content) > 0;
}

// Math that is a value worth grading: not a lone variable being introduced ("let $x$ be").
function isValueMath(m: string): boolean {
  const t = m.trim();
  if (t === '' || /^[a-zA-Z]$/.test(t)) return false;
  return proseWords(t) === 0;
}

// What may separate math segments that together state one answer: "$x=2$ and $x=5$".
const MATH_JOINER = /^[\s,;]*(?:and|or|,)?[\s,]*$/;

// Words before math that make it a condition, not the answer: "which occurs at $a = -2$".
const CONDITION_BEFORE =
  /\b(?:at|when|where|for|with|if|since|because|given|occurs|attained|achieved|unless)\s*$/i;

interface MathPick {
  answer: string;
  display: boolean;
  joined: number;
  /** Prose after the chosen math, to the end of the response. */
  after: string;
}

function lastMath(response: string): MathPick | null {
  // The last math of a long response is near its end: bound the scan.
  const tail = response.length > 20_000 ? response.slice(-20_000) : response;
  const segs = mathSegments(tail);
  let fallback: MathPick | null = null;
  for (let k = segs.length - 1; k >= 0; k--) {
    const seg = segs[k] as MathSegment;
    const content = seg.content.replace(/\\\\\s*$/, '').trim();
    if (!isValueMath(content)) continue;
    const parts = [chainValue(content)];
    let first = k;
    // Inline values listed together ("$x = 2$ and $x = 5$") form one answer.
    for (let j = k - 1; j >= 0 && !seg.display; j--) {
      const prev = segs[j] as MathSegment;
      const next = segs[j + 1] as MathSegment;
      const between = tail.slice(prev.end, next.start);
      if (prev.display || between.length > 12 || !MATH_JOINER.test(between)) break;
      if (!isValueMath(prev.content)) break;
      parts.unshift(chainValue(prev.content.trim()));
      first = j;
    }
    const pick = {
      answer: parts.join(', '),
      display: seg.display,
      joined: parts.length,
      after: tail.slice(seg.end),
    };
    // A condition in the same sentence after the answer: step back to the value it qualifies.
    const start = (segs[first] as MathSegment).start;
    const lead = tail.slice(Math.max(0, start - 30), start);
    const prevSeg = segs[first - 1];
    const sameSentence = prevSeg !== undefined && !/[.!?\n]\s/.test(tail.slice(prevSeg.end, start));
    if (fallback === null && !seg.display && sameSentence && CONDITION_BEFORE.test(lead)) {
      fallback = pick;
      k = first;
      continue;
    }
    if (fallback !== null) pick.after = fallback.after;
    return pick;
  }
  return fallback;
}

/** A number stated in prose after the last math ("$s = 40$ silver coins and therefore 70 gold coins"). */
function proseNumberAfter(after: string): string | null {
  const sentence = after.replace(/\s+/g, ' ');
  if (sentence.length > 400 || sentence.includes('$') || sentence.includes('\\')) return null;
  const m = sentence.match(/(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:\/\d+)?(?![\w])/g);
  return m ? (m[m.length - 1] as string).replace(/,$/, '') : null;
}

const MAX_WHOLE = 160;

/** A response that is one short expression ("42", "x = 3", "\frac{1}{2}"), not prose. */
function wholeResponse(response: string): string | null {
  const t = response.trim();
  if (t === '' || t.length > MAX_WHOLE || t.includes('\n')) return null;
  if (proseWords(t) > 1) return null;
  return t.replace(/[.。]$/, '');
}

const NUMBER = /-?\d[\d,]*(?:\.\d+)?(?:\/\d+)?|-?\.\d+/g;

function lastNumber(response: string): string | null {
  const tail = response.length > 2000 ? response.slice(-2000) : response;
  const numbers = tail.match(NUMBER);
  if (!numbers) return null;
  return (numbers[numbers.length - 1] as string).replace(/,$/, '');
}

/** The final answer of a response under a policy, where it was found and why. */
export function extractAnswer(response: string, policy: ExtractionPolicy = 'strict'): ExtractedAnswer {
  const boxed = lastBoxed(response);
  const said = answerIs(response);
  // "… \\boxed{20} … wait … so the final answer is 10 cups": a later statement of a value wins.
  if (boxed !== null && said !== null && said.at > boxed.end && STATED_VALUE.test(said.answer)) {
    return {
      answer: chainValue(said.answer),
      source: 'answer_is',
      why: `stated after "${said.marker}", after the last \\boxed{}`,
    };
  }
  if (boxed !== null) {
    const why = boxed.boxes > 1 ? `the last ${boxed.boxes} adjacent \\boxed{} joined` : 'the last \\boxed{}';
    return { answer: boxed.answer, source: 'boxed', why };
  }
  if (said !== null)
    return { answer: chainValue(said.answer), source: 'answer_is', why: `stated after "${said.marker}"` };
  const hashes = gsm8k(response);
  if (hashes !== null) return { answer: hashes, source: 'gsm8k', why: 'the #### line' };
  const out = codeOutput(response);
  if (out !== null)
    return { answer: out, source: 'code_output', why: 'the last line of the final output block' };
  if (policy === 'strict') {
    return {
      answer: null,
      source: 'none',
      why: 'strict: no box, answer statement, #### line or final output',
    };
  }
  const math = lastMath(response);
  if (math !== null) {
    const stated = proseNumberAfter(math.after);
    if (stated !== null) {
      return {
        answer: stated,
        source: 'last_number',
        why: 'lenient: a number stated in prose after the last math',
      };
    }
    return {
      answer: math.answer,
      source: 'last_math',
      why:
        math.joined > 1
          ? `lenient: the last ${math.joined} inline math values, listed together`
          : `lenient: the last ${math.display ? 'display' : 'inline'} math of the response`,
    };
  }
  const whole = wholeResponse(response);
  if (whole !== null)
    return { answer: whole, source: 'whole_response', why: 'lenient: the response is one expression' };
  const num = lastNumber(response);
  if (num !== null)
    return { answer: num, source: 'last_number', why: 'lenient: the last number of the response' };
  return { answer: null, source: 'none', why: 'lenient: no math and no number in the response' };
}

/**
 * Python's printed containers in LaTeX terms: a list "[1, 2]" is a bare list of values and a
 * set "{1, 2}" is a set.
 */
export function fromPythonOutput(answer: string): string {
  const t = answer.trim();
  if (t.startsWith('[') && t.endsWith(']') && !t.slice(1, -1).includes('[')) return t.slice(1, -1);
  if (t.startsWith('{') && t.endsWith('}') && !t.includes(':')) return `\\{${t.slice(1, -1)}\\}`;
  return t;
}

/**
 * The answer inside an answer string that is still written as a response: its box ("so it is
 * \\boxed{5}"), or for a sentence with math ("The side has length $10 \\cos 5^\\circ$.") its
 * lenient final math. Plain answers are returned as they are.
 */
export function answerPart(s: string): string {
  if (s.includes('\\boxed') || s.includes('\\fbox')) {
    const { answer, source } = extractAnswer(s);
    if (source === 'boxed' && answer !== null) return answer;
  }
  if (s.length > 4000) return s;
  const math = s.includes('$') || s.includes('\\(') ? mathSegments(s) : [];
  const words = proseWords(stripMath(s));
  // "No. This would lead to $0 = 1$.": a verdict with its reason is compared by the verdict.
  if (/^\s*(?:yes|no)\b/i.test(s)) return s;
  // "Therefore, $x = 3$.", "Solution is: $(x, y) = (1, 2)$": the math the sentence states.
  const lastSeg = math[math.length - 1];
  // Words only after the math are its unit ("$5.7$ minutes"): kept for the unit comparison.
  const wordsBefore = lastSeg ? proseWords(stripMath(s.slice(0, lastSeg.start))) : 0;
  if (math.length > 0 && words >= 1 && (wordsBefore >= 1 || words >= 3)) {
    const last = lastMath(s);
    if (last !== null) return last.answer;
  }
  // "$145$solution:": one math value with a stray word or two beside it.
  const only = math[0];
  if (
    math.length === 1 &&
    only &&
    only.start === s.search(/\S/) &&
    /^\s*[a-zA-Z]+\s*:\s*$/.test(s.slice(only.end))
  ) {
    return only.content;
  }
  // "The answer is 18.": a statement without math.
  if (words >= 2) {
    const said = answerIs(s);
    if (said !== null) return said.answer;
  }
  return s;
}

/** The last clause of a response's last sentence, without math ("so $f$ is even." → "f is even"). */
export function lastClause(response: string): string | null {
  const tail = response
    .slice(-600)
    .trim()
    .replace(/[.!]+$/, '');
  const cut = Math.max(
    tail.lastIndexOf('. '),
    tail.lastIndexOf(';'),
    tail.lastIndexOf('\n'),
    tail.lastIndexOf(': '),
  );
  const clause = (cut >= 0 ? tail.slice(cut + 1) : tail)
    .replace(/\$[^$]*\$/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clause === '' || clause.length > 200 ? null : clause;
}
