// Scalar expressions → MathJSON. LaTeX goes through @cortex-js/compute-engine's parser, in a
// worker thread (isolate.ts, latex-worker.mjs; no canonicalization: it is slower and sometimes
// turns juxtaposition into tuples). Plain programmatic text (code output such as "sqrt(2)/2" or
// "x**2 + 1") goes through mathjs here. Only parsing happens in the libraries; evaluation is
// ours (evaluate.ts) so it stays bounded.
import { type MathNode, parse as mathjsParse } from 'mathjs';

export type MathJson = number | string | { num: string } | MathJson[];

const PROGRAMMATIC =
  /\*\*|\b(?:sqrt|exp|log|ln|sin|cos|tan|Abs|abs|Rational|pi|oo|factorial|binomial)\b|[a-zA-Z0-9)]\s*\*\s*[a-zA-Z0-9(]/;

/** Whether the text reads as code output rather than LaTeX. */
export function isProgrammatic(s: string): boolean {
  return !s.includes('\\') && !s.includes('{') && PROGRAMMATIC.test(s);
}

const MATHJS_SYMBOLS: Record<string, MathJson> = {
  pi: 'Pi',
  e: 'ExponentialE',
  E: 'ExponentialE',
  i: ['Complex', 0, 1],
  I: ['Complex', 0, 1],
  oo: 'PositiveInfinity',
  inf: 'PositiveInfinity',
  Infinity: 'PositiveInfinity',
};

const MATHJS_OPS: Record<string, string> = {
  add: 'Add',
  subtract: 'Subtract',
  multiply: 'Multiply',
  divide: 'Divide',
  pow: 'Power',
  unaryMinus: 'Negate',
  factorial: 'Factorial',
};

const MATHJS_FUNCTIONS: Record<string, string> = {
  sqrt: 'Sqrt',
  exp: 'Exp',
  log: 'Ln', // sympy's and Python's log is natural
  ln: 'Ln',
  sin: 'Sin',
  cos: 'Cos',
  tan: 'Tan',
  asin: 'Arcsin',
  acos: 'Arccos',
  atan: 'Arctan',
  abs: 'Abs',
  Abs: 'Abs',
  floor: 'Floor',
  ceil: 'Ceil',
  factorial: 'Factorial',
  Rational: 'Divide',
};

class Unsupported extends Error {}

function fromMathjs(node: MathNode): MathJson {
  switch (node.type) {
    case 'ConstantNode': {
      const v = (node as unknown as { value: unknown }).value;
      if (typeof v === 'number') return v;
      throw new Unsupported('constant');
    }
    case 'SymbolNode': {
      const name = (node as unknown as { name: string }).name;
      return MATHJS_SYMBOLS[name] ?? name;
    }
    case 'ParenthesisNode':
      return fromMathjs((node as unknown as { content: MathNode }).content);
    case 'OperatorNode': {
      const op = node as unknown as { fn: string; args: MathNode[] };
      if (op.fn === 'unaryPlus') return fromMathjs(op.args[0] as MathNode);
      const head = MATHJS_OPS[op.fn];
      if (!head) throw new Unsupported(op.fn);
      return [head, ...op.args.map(fromMathjs)];
    }
    case 'FunctionNode': {
      const fn = node as unknown as { fn: { name?: string }; args: MathNode[] };
      const name = fn.fn.name ?? '';
      if (name === 'log' && fn.args.length === 2) {
        return ['Log', fromMathjs(fn.args[0] as MathNode), fromMathjs(fn.args[1] as MathNode)];
      }
      const head = MATHJS_FUNCTIONS[name];
      if (!head) throw new Unsupported(name);
      return [head, ...fn.args.map(fromMathjs)];
    }
    default:
      throw new Unsupported(node.type);
  }
}

export function parseProgrammatic(s: string): MathJson {
  return fromMathjs(mathjsParse(s.replace(/\*\*/g, '^')));
}
