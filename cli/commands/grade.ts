// `autocode grade`: grades JSON lines from stdin. Each line is {"gold": …, "pred": …} (a final
// answer) or {"gold": …, "response": …} (a full response: the answer is extracted first, under the
// --extraction policy); each output line is {"equal": true|false|null, "extracted": …, "reason": …},
// plus "source" and "why" (where the answer came from, and why) for a response. Blank lines are
// skipped; a line that is not valid input gets equal null with the reason naming the field, and
// the exit code is 1.
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import {
  type AnswerSource,
  DEFAULT_TIMEOUT_MS,
  EXTRACTION_POLICIES,
  type ExtractionPolicy,
  grade,
  isEquivalent,
} from '../../engines/grader/index';
import { oneOf, positiveInt } from '../options';

export interface GradeOutput {
  equal: boolean | null;
  extracted: string | null;
  reason: string;
  /** For a response: where the answer came from, and why it was chosen (or why none was). */
  source?: AnswerSource;
  why?: string;
}

/**
 * The command grades for people evaluating outputs, so its default extraction is lenient (an
 * unmarked final answer counts); strict is what the rollouts' reward uses.
 */
export const CLI_EXTRACTION: ExtractionPolicy = 'lenient';

export interface GradeCommandOptions {
  timeoutMs?: number;
  /** Default lenient (CLI_EXTRACTION). */
  extraction?: ExtractionPolicy;
}

/** Gold answers come as strings, numbers (AMC) or lists of alternatives joined (OlympiadBench). */
function goldText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v.join(', ');
  return null;
}

function invalid(lineNo: number, message: string): GradeOutput {
  return { equal: null, extracted: null, reason: `invalid input on line ${lineNo}: ${message}` };
}

/** Grades one input line (1-based lineNo for messages). */
export function gradeLine(line: string, lineNo: number, opts: GradeCommandOptions = {}): GradeOutput {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch (e) {
    return invalid(lineNo, `not JSON (${(e as Error).message})`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return invalid(lineNo, 'expected an object with "gold" and "pred" or "response"');
  }
  const rec = input as Record<string, unknown>;
  const gold = goldText(rec.gold);
  if (gold === null) return invalid(lineNo, '"gold" must be a string, a number or a list of strings');
  const timeout = { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  if ('pred' in rec) {
    const pred = typeof rec.pred === 'number' ? String(rec.pred) : rec.pred;
    if (typeof pred !== 'string') return invalid(lineNo, '"pred" must be a string or a number');
    const v = isEquivalent(gold, pred, timeout);
    return { equal: v.equal, extracted: pred, reason: v.reason };
  }
  if ('response' in rec) {
    if (typeof rec.response !== 'string') return invalid(lineNo, '"response" must be a string');
    const r = grade(gold, rec.response, { ...timeout, extraction: opts.extraction ?? CLI_EXTRACTION });
    return { equal: r.equal, extracted: r.extracted, reason: r.reason, source: r.source, why: r.why };
  }
  return invalid(lineNo, 'missing "pred" or "response"');
}

/** Grades every line of input onto output; returns how many lines were graded and invalid. */
export async function gradeStream(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  opts: GradeCommandOptions = {},
): Promise<{ graded: number; invalid: number }> {
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  let graded = 0;
  let bad = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    const out = gradeLine(line, lineNo, opts);
    if (out.reason.startsWith('invalid input')) bad++;
    else graded++;
    if (!output.write(`${JSON.stringify(out)}\n`)) {
      await new Promise<void>((resolve) => output.once('drain', () => resolve()));
    }
  }
  return { graded, invalid: bad };
}

export function register(program: Command): void {
  program
    .command('grade')
    .description(
      'grade JSON lines {"gold", "pred"|"response"} from stdin; prints {"equal", "extracted", "reason"} per line, and "source" and "why" for a response',
    )
    .option(
      '--extraction <policy>',
      `how a response's final answer is found: lenient (default: this command grades for people evaluating outputs, so an unmarked last expression or number counts) or strict (the rollouts' reward: only boxed, "the answer is", #### and final code output)`,
      oneOf('extraction', EXTRACTION_POLICIES),
    )
    .option(
      '--timeout-ms <ms>',
      `time bound per comparison (default ${DEFAULT_TIMEOUT_MS})`,
      positiveInt('timeout-ms'),
    )
    .action(async (opts: GradeCommandOptions) => {
      const { invalid: bad } = await gradeStream(process.stdin, process.stdout, opts);
      if (bad > 0) process.exitCode = 1;
    });
}
