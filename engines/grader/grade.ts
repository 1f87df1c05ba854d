// grade: extraction, then equivalence. Reward is 1 exactly when equal === true.
import { type EquivalenceOptions, isEquivalent } from './compare';
import { type AnswerSource, extractAnswer, fromPythonOutput } from './extract';

export interface GradeResult {
  equal: boolean | null;
  extracted: string | null;
  reason: string;
  source: AnswerSource;
}

/** Grades a full response against the gold final answer. No answer found → equal: false. */
export function grade(gold: string, response: string, opts: EquivalenceOptions = {}): GradeResult {
  const { answer, source } = extractAnswer(response);
  if (answer === null) return { equal: false, extracted: null, reason: 'no_answer', source };
  const pred = source === 'code_output' ? fromPythonOutput(answer) : answer;
  const v = isEquivalent(gold, pred, opts);
  return { equal: v.equal, extracted: answer, reason: v.reason, source };
}
