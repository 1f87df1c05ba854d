// The tool-call convention on the text side: which code to run, what the response's method is, and how
// the output block is written back (see TOOL_OUTPUT_STOP in schemas/inference.ts).
import type { Method } from '../../schemas/rollout';

const PYTHON_BLOCK = /```python[^\n]*\n([\s\S]*?)```/g;

/** The last ```python block of `text`, or null. An unclosed block ends at the "```output" fence. */
export function lastPythonBlock(text: string): string | null {
  let last: string | null = null;
  for (const m of text.matchAll(PYTHON_BLOCK)) last = m[1] ?? '';
  return last;
}

/** A response is code when its first round contains a ```python block (the authors' rule). */
export function methodOf(firstRoundText: string): Method {
  return firstRoundText.includes('```python') ? 'code' : 'cot';
}

/** Output text bounded to `maxChars` characters, the cut marked so the model can tell. */
export function boundOutput(text: string, maxChars: number): string {
  const trimmed = text.replace(/\s+$/, '');
  if (trimmed.length <= maxChars) return trimmed;
  const marker = '\n... (output truncated)';
  return trimmed.slice(0, Math.max(0, maxChars - marker.length)) + marker;
}

/** What follows the model's "```output": the output, then the closing fence (tool tokens, mask 0). */
export function outputBlock(output: string): string {
  return `\n${output}\n\`\`\`\n`;
}
