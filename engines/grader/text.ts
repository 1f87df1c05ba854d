// Bracket-aware string scanning shared by normalization, extraction and structure parsing.
// Every function here is a single linear pass: they run on untrusted model output.

/** Index of the `}` closing the `{` at `open`, or -1 when unbalanced. */
export function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) {
      i++; // an escaped brace (\{ \}) does not count
      continue;
    }
    if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);

/** Deepest bracket nesting of any kind; a cheap guard against pathological input. */
export function nestingDepth(s: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (OPENERS.has(c)) {
      depth++;
      if (depth > max) max = depth;
    } else if (CLOSERS.has(c)) depth = Math.max(0, depth - 1);
  }
  return max;
}

/** Length of the longest run of digits. */
export function longestDigitRun(s: string): number {
  let run = 0;
  let max = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      run++;
      if (run > max) max = run;
    } else run = 0;
  }
  return max;
}

/**
 * Splits at top-level occurrences of any separator (outside (), [], {} and \begin…\end). Mixed
 * brackets count alike so the half-open interval "[1,2)" stays one piece. Returns [s] when the
 * brackets do not balance.
 */
export function splitTopLevel(s: string, separators: readonly string[]): string[] {
  const parts: string[] = [];
  let depth = 0;
  let envDepth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\') {
      if (s.startsWith('\\begin{', i)) envDepth++;
      else if (s.startsWith('\\end{', i)) envDepth--;
      // A separator may itself be a command (\cup); only skip plain escapes.
      if (depth === 0 && envDepth === 0) {
        const sep = separators.find((x) => s.startsWith(x, i));
        if (sep?.startsWith('\\') && (!/[a-zA-Z]$/.test(sep) || isCommandEnd(s, i + sep.length))) {
          parts.push(s.slice(start, i));
          i += sep.length - 1;
          start = i + 1;
          continue;
        }
      }
      i++;
      // Escaped braces \{ \} are set delimiters: they nest like brackets.
      const n = s[i];
      if (n === '{') depth++;
      else if (n === '}') depth--;
      continue;
    }
    if (OPENERS.has(c)) depth++;
    else if (CLOSERS.has(c)) depth--;
    else if (depth === 0 && envDepth === 0) {
      const sep = separators.find((x) => !x.startsWith('\\') && s.startsWith(x, i));
      if (sep !== undefined) {
        parts.push(s.slice(start, i));
        i += sep.length - 1;
        start = i + 1;
      }
    }
    if (depth < 0) return [s];
  }
  if (depth !== 0) return [s];
  parts.push(s.slice(start));
  return parts;
}

function isCommandEnd(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return !((c >= 65 && c <= 90) || (c >= 97 && c <= 122));
}

/**
 * When s is one bracketed group — its first char opens a bracket that the last char closes —
 * returns the open/close chars and the inside. "\{…\}" and "\langle…\rangle" count too.
 */
export function outerGroup(s: string): { open: string; close: string; inner: string } | null {
  let open: string;
  let close: string;
  let inner: string;
  if (s.startsWith('\\{') && s.endsWith('\\}')) {
    open = '{';
    close = '}';
    inner = s.slice(2, -2);
  } else if (s.startsWith('\\langle') && s.endsWith('\\rangle')) {
    open = '(';
    close = ')';
    inner = s.slice(7, -7);
  } else {
    const f = s[0];
    const l = s[s.length - 1];
    if (f === undefined || l === undefined || s.length < 2) return null;
    if (!(f === '(' || f === '[') || !(l === ')' || l === ']')) return null;
    open = f;
    close = l;
    inner = s.slice(1, -1);
  }
  // The first bracket must close at the very end: "(1)+(2)" is not one group.
  let depth = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i] as string;
    if (c === '\\') {
      const n = inner[i + 1];
      if (n === '{') depth++;
      else if (n === '}') depth--;
      i++;
    } else if (OPENERS.has(c)) depth++;
    else if (CLOSERS.has(c)) depth--;
    if (depth < 0) return null;
  }
  if (depth !== 0) return null;
  return { open, close, inner };
}
