// Final-answer extraction from a model response. Sources in priority order: the last
// \boxed{…} / \fbox{…}, the last "the answer is …", the GSM8K "#### n" line, and the output of
// the last code block when the response ends on it. All linear scans (no backtracking regexes
// over the whole response).
import { matchBrace } from './text';

export type AnswerSource = 'boxed' | 'answer_is' | 'gsm8k' | 'code_output' | 'none';

export interface ExtractedAnswer {
  answer: string | null;
  source: AnswerSource;
}

const BOX_COMMANDS = ['\\boxed', '\\fbox'];
// What may separate boxed answers that together form one answer: "\boxed{2} and \boxed{3}".
const BOX_JOINER = /^[\s$,.]*(?:and|or|,)?[\s$,]*$/;
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
function lastBoxed(response: string): string | null {
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
  return parts.join(', ');
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

const ANSWER_MARKERS = ['answer is', 'answer:'];

function answerIs(response: string): string | null {
  const lower = response.toLowerCase();
  let at = -1;
  let len = 0;
  for (const m of ANSWER_MARKERS) {
    const i = lower.lastIndexOf(m);
    if (i > at) {
      at = i;
      len = m.length;
    }
  }
  if (at < 0) return null;
  let rest = response.slice(at + len);
  const nl = rest.indexOf('\n');
  if (nl >= 0) rest = rest.slice(0, nl);
  rest = rest.replace(/^[\s:*]+/, '');
  // End of sentence: a period followed by a space or the end ("3.5 cm." keeps 3.5).
  const stop = rest.search(/\.(?:\s|$)/);
  if (stop >= 0) rest = rest.slice(0, stop);
  rest = rest.replace(/\*+/g, '').trim();
  return rest === '' ? null : rest;
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

/** The final answer of a response and where it was found; source 'none' when there is none. */
export function extractAnswer(response: string): ExtractedAnswer {
  const boxed = lastBoxed(response);
  if (boxed !== null) return { answer: boxed, source: 'boxed' };
  const said = answerIs(response);
  if (said !== null) return { answer: said, source: 'answer_is' };
  const hashes = gsm8k(response);
  if (hashes !== null) return { answer: hashes, source: 'gsm8k' };
  const out = codeOutput(response);
  if (out !== null) return { answer: out, source: 'code_output' };
  return { answer: null, source: 'none' };
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
