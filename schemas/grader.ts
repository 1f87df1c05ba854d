// The grader's extraction policies, named in specs and on the CLI (engines/grader/extract.ts
// implements them; docs/grader.md says what each accepts and why rewards use strict).
import { z } from 'zod';

export const ExtractionPolicy = z.enum(['strict', 'lenient']);
export type ExtractionPolicy = z.infer<typeof ExtractionPolicy>;
export const EXTRACTION_POLICIES: readonly ExtractionPolicy[] = ExtractionPolicy.options;
