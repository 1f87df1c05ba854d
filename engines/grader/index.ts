// The math answer grader: final-answer extraction and equivalence, synchronous and bounded in
// time (see docs/grader.md for the policy and the figures).
export { DEFAULT_TIMEOUT_MS, type EquivalenceOptions, isEquivalent, type Verdict } from './compare';
export {
  type AnswerSource,
  EXTRACTION_POLICIES,
  type ExtractedAnswer,
  type ExtractionPolicy,
  extractAnswer,
} from './extract';
export { type GradeOptions, type GradeResult, grade } from './grade';
