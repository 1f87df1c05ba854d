// grade: extraction under a policy, then equivalence. Reward is 1 exactly when equal === true.
import { type EquivalenceOptions, isEquivalent } from './compare';
import { type AnswerSource, type ExtractionPolicy, extractAnswer, fromPythonOutput } from './extract';

export interface GradeOptions extends EquivalenceOptions {
  /** Which answers count as the response's final one (default strict: the reward's). */
  extraction?: ExtractionPolicy;
}

export interface GradeResult {
  equal: boolean | null;
  extracted: string | null;
  reason: string;
  source: AnswerSource;
  /** Why extraction chose this answer (or none). */
  why: string;
}

/** Grades a full response against the gold final answer. No answer found → equal: false. */
export function grade(gold: string, response: string, opts: GradeOptions = {}): GradeResult {
  const { answer, source, why } = extractAnswer(response, opts.extraction ?? 'strict');
  if (answer === null) return { equal: false, extracted: null, reason: 'no_answer', source, why };
  const pred = source === 'code_output' ? fromPythonOutput(answer) : answer;
  const v = isEquivalent(gold, pred, opts);
  return { equal: v.equal, extracted: answer, reason: v.reason, source, why };
}
