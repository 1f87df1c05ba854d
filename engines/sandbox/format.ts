// The text the tool loop places inside the ```output block, following the ToRA / Qwen2.5-Math
// harnesses: stdout if there is any, otherwise the report — the last traceback line on error,
// "Timeout Error" on timeout, "Done" when the code ran and printed nothing — with stdout dropped
// whenever there is an error, and long text cut to its head and tail around "...".
import type { ExecResult } from './types';

/** The harnesses' cut (their `truncate(s, max_length=400)`). */
export const TOOL_OUTPUT_MAX_CHARS = 400;

export function formatToolOutput(result: ExecResult, maxChars: number = TOOL_OUTPUT_MAX_CHARS): string {
  let text: string;
  if (result.timed_out) text = 'Timeout Error';
  else if (result.error !== null) text = result.error.trim();
  else text = result.stdout.trim() || 'Done';
  return truncateMiddle(text, maxChars);
}

export function truncateMiddle(s: string, maxChars: number): string {
  if (s.length <= maxChars) return s;
  const half = Math.floor(maxChars / 2);
  return `${s.slice(0, half)}...${s.slice(s.length - half)}`;
}
