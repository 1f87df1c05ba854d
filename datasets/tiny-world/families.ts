// The tiny world's problem families. Each yields a question, its gold answer, and one correct
// demonstration per method. Which method the bootstrapped model is better at differs by family,
// for structural reasons that EM filtering cannot repair (DESIGN.md, "The tiny world"):
//   add, mul  - prose must recall digit arithmetic the 1M-parameter model cannot learn in minutes,
//               while code only copies operands into a program and its output into \boxed{}.
//   pick      - the first or last of 12 numbers: prose copies one number from the question (about
//               20 tokens); code must restate the whole list in its program (about 80 tokens), which
//               does not fit the tiny run's 64-token budget (pipelines/tiny.yaml) - no filtering fixes that.
//   compare   - prose copies the larger of two numbers; code writes max(...) and copies the output back.
// The native demonstrations (no method hint) set the bootstrapped model's native prior. On `mul` and
// `pick` it is skewed hard toward the family's worse method (2% code on mul, 98% code on pick): the
// situation the paper argues plain RL cannot handle, since native samples rarely try the better
// method, while dictated rollouts show its value (arXiv 2502.00691, the exploration argument).
import type { Rng } from './rng';

export type Method = 'cot' | 'code';

/** Bump on any change to what the families generate: it is part of every tiny-world content key. */
export const TINY_WORLD_VERSION = '6';

export interface Problem {
  question: string;
  answer: string;
  demos: Record<Method, string>;
}

export interface Family {
  name: string;
  /** The method the family is built to favour (for documentation and tests). */
  favours: Method;
  /** Share of the native (no-hint) demonstrations that use code: the bootstrapped model's prior. */
  nativeCodeShare: number;
  make(rng: Rng): Problem;
}

/** Long enough that a program restating the list (about 80 tokens) exceeds the tiny run's budget. */
export const PICK_LENGTH = 12;

/** A code demonstration in the tool-call convention: program, output block, boxed answer. */
export function codeDemo(program: string, output: string, answer: string): string {
  return `\`\`\`python\n${program}\n\`\`\`\n\`\`\`output\n${output}\n\`\`\`\nThe answer is \\boxed{${answer}}.`;
}

export const FAMILIES: readonly Family[] = [
  {
    name: 'add',
    nativeCodeShare: 0.5,
    favours: 'code',
    make(rng) {
      const a = rng.int(10, 99);
      const b = rng.int(1, 9);
      const s = String(a + b);
      return {
        question: `What is ${a} + ${b}?`,
        answer: s,
        demos: {
          cot: `${a} + ${b} = ${s}. The answer is \\boxed{${s}}.`,
          code: codeDemo(`print(${a} + ${b})`, s, s),
        },
      };
    },
  },
  {
    name: 'mul',
    nativeCodeShare: 0.02,
    favours: 'code',
    make(rng) {
      const a = rng.int(100, 999);
      const b = rng.int(10, 99);
      const p = String(a * b);
      const partial = `${a} * ${b % 10} = ${a * (b % 10)} and ${a} * ${b - (b % 10)} = ${a * (b - (b % 10))}`;
      return {
        question: `What is ${a} * ${b}?`,
        answer: p,
        demos: {
          cot: `${partial}, so ${a} * ${b} = ${p}. The answer is \\boxed{${p}}.`,
          code: codeDemo(`print(${a} * ${b})`, p, p),
        },
      };
    },
  },
  {
    name: 'pick',
    nativeCodeShare: 0.98,
    favours: 'cot',
    make(rng) {
      const nums = Array.from({ length: PICK_LENGTH }, () => rng.int(10, 99));
      const last = rng.next() < 0.5;
      const v = String(last ? nums[PICK_LENGTH - 1] : nums[0]);
      const which = last ? 'last' : 'first';
      return {
        question: `In the list ${nums.join(', ')}, what is the ${which} number?`,
        answer: v,
        demos: {
          cot: `The ${which} number is ${v}. The answer is \\boxed{${v}}.`,
          code: codeDemo(`nums = [${nums.join(', ')}]\nprint(nums[${last ? -1 : 0}])`, v, v),
        },
      };
    },
  },
  {
    name: 'compare',
    nativeCodeShare: 0.5,
    favours: 'cot',
    make(rng) {
      const a = rng.int(10, 99);
      let b = rng.int(10, 99);
      if (b === a) b = a === 99 ? 98 : a + 1;
      const m = String(Math.max(a, b));
      return {
        question: `Which is larger, ${a} or ${b}?`,
        answer: m,
        demos: {
          cot: `${m} is larger. The answer is \\boxed{${m}}.`,
          code: codeDemo(`print(max(${a}, ${b}))`, m, m),
        },
      };
    },
  },
];

export function family(name: string): Family {
  const f = FAMILIES.find((x) => x.name === name);
  if (!f)
    throw new Error(`unknown tiny-world family '${name}'; known: ${FAMILIES.map((x) => x.name).join(', ')}`);
  return f;
}
