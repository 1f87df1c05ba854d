// Validates an activity input against its zod type; a mismatch is a non-retryable failure naming the field.
import type { z } from 'zod';
import { storeError } from './errors';

export function parseInput<T extends z.ZodType>(type: T, input: unknown, what: string): z.output<T> {
  const parsed = type.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw storeError('InvalidInput', `${what}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}
