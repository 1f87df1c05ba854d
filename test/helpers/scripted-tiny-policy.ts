// A scripted policy on tiny-world queries whose every metric is known: programs are always right;
// prose is right on pick and compare only; without a hint it writes code on add and compare, prose
// on mul and pick. Shared by the evaluation and ablation-sweep integration tests.
import type { TinyQuery } from '../../datasets/tiny-world/generate';
import type { Script } from './completions-server';

export const PROSE_RIGHT = new Set(['pick', 'compare']);
export const NATIVE_CODE = new Set(['add', 'compare']);

export function scriptedTinyPolicy(queries: readonly TinyQuery[]): Script {
  return ({ prompt }) => {
    const q = queries
      .filter((x) => prompt.includes(x.question))
      .sort((a, b) => b.question.length - a.question.length)[0];
    if (!q) return ' I do not know.';
    const family = q.source.split('/')[1] as string;
    if (prompt.includes('```output')) return ` The answer is \\boxed{${q.answer}}.`;
    const code = prompt.includes("Let's write a program.")
      ? true
      : prompt.includes("Let's reason step by step.")
        ? false
        : NATIVE_CODE.has(family);
    if (code) return `\`\`\`python\nprint(${JSON.stringify(q.answer)})\n\`\`\`\n\`\`\`output`;
    return ` The answer is \\boxed{${PROSE_RIGHT.has(family) ? q.answer : '-1'}}.`;
  };
}
