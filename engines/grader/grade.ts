// grade: extraction under a policy, then equivalence. Reward is 1 exactly when equal === true.
import { type EquivalenceOptions, isEquivalent } from './compare';
import {
  type AnswerSource,
  type ExtractionPolicy,
  extractAnswer,
  fromPythonOutput,
  lastClause,
} from './extract';
import { normalize, plain } from './normalize';
import { isText } from './units';

/** A gold that is words ("diverges", "\\text{even}", "No"), not mathematics. */
function isProseGold(gold: string): boolean {
  const t = plain(normalize(gold));
  return t.length <= 60 && isText(t);
}

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
  const extraction = opts.extraction ?? 'strict';
  const { answer, source, why } = extractAnswer(response, extraction);
  if (answer === null) return { equal: false, extracted: null, reason: 'no_answer', source, why };
  const pred = source === 'code_output' ? fromPythonOutput(answer) : answer;
  const v = isEquivalent(gold, pred, opts);
  // A prose gold ("diverges", "\\text{even}") is stated in the last clause ("so $f$ is even."),
  // which lenient extraction, looking for math, passes over.
  if (v.equal !== true && extraction === 'lenient' && source !== 'boxed' && isProseGold(gold)) {
    const clause = lastClause(response);
    if (clause !== null && isEquivalent(gold, clause, opts).equal === true) {
      return {
        equal: true,
        extracted: clause,
        reason: 'text',
        source: 'last_clause',
        why: 'lenient: a prose gold stated in the last clause',
      };
    }
  }
  return { equal: v.equal, extracted: answer, reason: v.reason, source, why };
}
